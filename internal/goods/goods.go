// Package goods is the shop's catalogue, carts and orders: the domain types,
// the services that enforce their rules, the Store they persist through
// (mongo.go) and the HTTP handlers of CONTRACT.md (http.go).
package goods

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/livebuy/shop/internal/errs"
)

// Goods is one article of the catalogue. Its JSON has exactly the five keys
// the original shop's clients read.
type Goods struct {
	GoodsID      int64  `json:"goodsId"`
	Name         string `json:"name"`
	Price        Money  `json:"price"`
	ThumbnailURL string `json:"thumbnailUrl"`
	Category     string `json:"category"`
}

// Categories returns the categories goods may belong to, in the order the
// front end shows them (음료, 음식, 굿즈).
func Categories() []string { return []string{"drink", "food", "goods"} }

// MaxGoodsID is the largest goods id: 2^53-1, the largest integer a
// JavaScript client reads exactly.
const MaxGoodsID = 1<<53 - 1

// Limits on the fields of new goods.
const (
	maxNameRunes    = 50
	maxThumbnailLen = 2048
)

// Messages shown to users.
const (
	msgGoodsNotFound    = "상품을 찾을 수 없습니다."
	msgBadGoodsID       = "상품 번호는 양의 정수여야 합니다."
	msgBadName          = "상품 이름은 1자 이상 50자 이하로 입력해 주세요."
	msgBadThumbnail     = "상품 이미지 주소가 올바르지 않습니다."
	msgBadCategory      = "상품 분류는 drink, food, goods 중 하나여야 합니다."
	msgBadPrice         = "상품 가격은 0보다 크고 100000000 이하이며 소수점 둘째 자리까지의 숫자여야 합니다."
	msgDuplicateGoodsID = "이미 사용 중인 상품 번호입니다."
	msgDuplicateName    = "같은 이름의 상품이 이미 있습니다."
	msgUnauthorized     = "로그인 후 이용 가능한 기능입니다."
)

// ValidGoodsID reports whether id can name goods.
func ValidGoodsID(id int64) bool { return id > 0 && id <= MaxGoodsID }

// validCategory reports whether c is one of Categories.
func validCategory(c string) bool {
	return slices.Contains(Categories(), c)
}

// normalize trims g's text fields and checks every field. A zero GoodsID is
// allowed: it means "assign one".
func (g *Goods) normalize() error {
	g.Name = strings.TrimSpace(g.Name)
	g.ThumbnailURL = strings.TrimSpace(g.ThumbnailURL)
	g.Category = strings.TrimSpace(g.Category)
	switch {
	case g.GoodsID != 0 && !ValidGoodsID(g.GoodsID):
		return errs.E(errs.Invalid, msgBadGoodsID)
	case !validName(g.Name):
		return errs.E(errs.Invalid, msgBadName)
	case !validThumbnail(g.ThumbnailURL):
		return errs.E(errs.Invalid, msgBadThumbnail)
	case !validCategory(g.Category):
		return errs.E(errs.Invalid, msgBadCategory)
	case g.Price <= 0 || g.Price > MaxMoney:
		return errs.E(errs.Invalid, msgBadPrice)
	}
	return nil
}

func validName(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameRunes {
		return false
	}
	return strings.IndexFunc(s, unicode.IsControl) < 0
}

// validThumbnail accepts a path on the shop ("/images/goods/x.svg") or an
// absolute http(s) URL; anything else (javascript:, protocol-relative
// "//host", relative paths) would be unsafe or broken in an <img src>.
func validThumbnail(s string) bool {
	if s == "" || len(s) > maxThumbnailLen || strings.IndexFunc(s, unicode.IsControl) >= 0 ||
		strings.ContainsAny(s, " \\") {
		return false
	}
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//")
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
