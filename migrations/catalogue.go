package migrations

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

//go:embed seed/catalogue.json
var catalogueJSON []byte

// Item is one good of the seed catalogue.
type Item struct {
	GoodsID      int64
	Name         string
	Category     string // drink, food or goods
	Price        int64  // hundredths of the currency unit
	ThumbnailURL string // served from the shop's embedded web assets
}

// Catalogue returns the goods that migration 0002 seeds, in goodsId order.
// The file writes prices in currency units as people read them (4500, 6.2);
// Item.Price holds hundredths.
func Catalogue() ([]Item, error) {
	var raw []struct {
		GoodsID      int64       `json:"goodsId"`
		Name         string      `json:"name"`
		Category     string      `json:"category"`
		Price        json.Number `json:"price"`
		ThumbnailURL string      `json:"thumbnailUrl"`
	}
	dec := json.NewDecoder(bytes.NewReader(catalogueJSON))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("migrations: read seed catalogue: %w", err)
	}
	items := make([]Item, 0, len(raw))
	for _, r := range raw {
		price, err := hundredths(string(r.Price))
		if err != nil {
			return nil, fmt.Errorf("migrations: seed catalogue good %d: %w", r.GoodsID, err)
		}
		items = append(items, Item{
			GoodsID:      r.GoodsID,
			Name:         r.Name,
			Category:     r.Category,
			Price:        price,
			ThumbnailURL: r.ThumbnailURL,
		})
	}
	return items, nil
}

// hundredths converts a non-negative decimal with at most two fractional
// digits to an integer count of hundredths without going through a float.
func hundredths(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("price %s has more than two decimals", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseUint(whole, 10, 62)
	if err != nil {
		return 0, fmt.Errorf("price %s: %w", s, err)
	}
	f, err := strconv.ParseUint(frac, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("price %s: %w", s, err)
	}
	if w > (1<<62)/100 {
		return 0, errors.New("price " + s + " is too large")
	}
	return int64(w)*100 + int64(f), nil
}
