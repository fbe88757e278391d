package migrations

import (
	"testing"
)

func TestCatalogue(t *testing.T) {
	items, err := Catalogue()
	if err != nil {
		t.Fatalf("Catalogue: %v", err)
	}
	want := []Item{
		{1, "아메리카노", "drink", 450000, "/images/goods/americano.svg"},
		{2, "카페라떼", "drink", 500000, "/images/goods/latte.svg"},
		{3, "녹차라떼", "drink", 550000, "/images/goods/greentea.svg"},
		{4, "크루아상", "food", 380000, "/images/goods/croissant.svg"},
		{5, "치즈케이크", "food", 620000, "/images/goods/cheesecake.svg"},
		{6, "샌드위치", "food", 790000, "/images/goods/sandwich.svg"},
		{7, "텀블러", "goods", 2200000, "/images/goods/tumbler.svg"},
		{8, "머그컵", "goods", 1500000, "/images/goods/mug.svg"},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items, want %d", len(items), len(want))
	}
	for i := range want {
		if items[i] != want[i] {
			t.Errorf("item %d: got %+v, want %+v", i, items[i], want[i])
		}
	}
}

func TestHundredths(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"4500", 450000, false},
		{"6.2", 620, false},
		{"6.25", 625, false},
		{"0.05", 5, false},
		{"0", 0, false},
		{"6.255", 0, true},
		{"-1", 0, true},
		{"1e3", 0, true},
		{"", 0, true},
		{"1.", 100, false},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := hundredths(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
