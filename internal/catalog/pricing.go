package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// PriceLines prices order lines as shop shopID of merchant m sells them now, for the order module (the
// caller checks that the shop is m's). It reads the whole order in two queries. Every problem of every line
// is reported at once: an apperr.Invalid error with fields such as "lines[2].product_id" (unknown or
// archived product), "lines[0].variant_id" (missing, or not one of the product's),
// "lines[1].modifier_option_ids[0]" (not an option of the product's groups), "lines[1].modifier_option_ids"
// (a group's min/max broken) and "lines[0].quantity"; when all lines are valid but one is sold out in the
// shop (or, for a combo, one of its components is), an apperr.Conflict error "<name> is sold out".
func (s *Service) PriceLines(ctx context.Context, m tenant.ID, shopID string, lines []LineRequest) ([]PricedLine, error) {
	var f fieldErrors
	switch {
	case len(lines) == 0:
		f.add("lines", "must not be empty")
	case len(lines) > maxLines:
		f.add("lines", "at most "+strconv.Itoa(maxLines)+" lines")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(lines))
	seen := map[string]bool{}
	for _, l := range lines {
		if !seen[l.ProductID] {
			seen[l.ProductID] = true
			ids = append(ids, l.ProductID)
		}
	}
	var (
		products    map[string]pricedProduct
		attachments []attachment
	)
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		padded := padIDs(ids)
		if products, err = pricingProducts(ctx, &s.stmts, tx, m, shopID, padded); err != nil {
			return err
		}
		attachments, err = pricingAttachments(ctx, &s.stmts, tx, m, padded)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("price lines: %w", err)
	}
	return priceLines(lines, products, attachments)
}

// productExtras are a product's variants, options by id (with their group) and combo components.
type productExtras struct {
	variants   []attachment
	options    map[string]attachment
	groups     []attachment // one row per attached group, in the product's order (first option's row)
	components []attachment
}

// priceLines is the pure part of PriceLines: validation and arithmetic over what the two queries read.
func priceLines(lines []LineRequest, products map[string]pricedProduct, attachments []attachment) ([]PricedLine, error) {
	extras := map[string]*productExtras{}
	get := func(id string) *productExtras {
		e := extras[id]
		if e == nil {
			e = &productExtras{options: map[string]attachment{}}
			extras[id] = e
		}
		return e
	}
	for _, a := range attachments {
		e := get(a.owner)
		switch a.kind {
		case "v":
			e.variants = append(e.variants, a)
		case "o":
			if _, dup := e.options[a.id]; !dup {
				e.options[a.id] = a
			}
			if len(e.groups) == 0 || e.groups[len(e.groups)-1].groupID != a.groupID {
				e.groups = append(e.groups, a)
			}
		case "c":
			e.components = append(e.components, a)
		}
	}

	var (
		f       fieldErrors
		soldOut []string
		out     = make([]PricedLine, len(lines))
	)
	for i, l := range lines {
		at := "lines[" + strconv.Itoa(i) + "]"
		if l.Quantity < 1 || l.Quantity > maxLineQuantity {
			f.add(at+".quantity", "must be between 1 and "+strconv.Itoa(maxLineQuantity))
		}
		p, ok := products[l.ProductID]
		if !ok || l.ProductID == "" {
			f.add(at+".product_id", "is not a product on this menu")
			continue
		}
		e := get(p.id)
		line := PricedLine{ProductID: p.id, Kind: p.kind, Name: p.name, CategoryID: p.categoryID, Station: p.station,
			TaxClass: p.taxClass, Quantity: l.Quantity, UnitPrice: shopPrice(p.price, p.price, p.override),
			Modifiers: []PricedModifier{}, Components: []ComboComponent{}}
		switch {
		case len(e.variants) == 0 && l.VariantID != "":
			f.add(at+".variant_id", "the product has no variants")
		case len(e.variants) > 0:
			found := false
			for _, v := range e.variants {
				if v.id == l.VariantID {
					found = true
					line.VariantID, line.VariantName = v.id, v.name
					line.UnitPrice = shopPrice(money.VND(v.amount), p.price, p.override)
				}
			}
			if !found {
				f.add(at+".variant_id", "must be one of the product's variants")
			}
		}
		if len(l.ModifierOptionIDs) > maxLineOptions {
			f.add(at+".modifier_option_ids", "at most "+strconv.Itoa(maxLineOptions)+" options")
		}
		chosen := map[string]int{} // group id → options chosen
		picked := map[string]bool{}
		for j, oid := range l.ModifierOptionIDs {
			oat := at + ".modifier_option_ids[" + strconv.Itoa(j) + "]"
			o, ok := e.options[oid]
			switch {
			case !ok:
				f.add(oat, "is not an option of this product")
				continue
			case picked[oid]:
				f.add(oat, "is chosen twice")
				continue
			}
			picked[oid] = true
			chosen[o.groupID]++
			line.UnitPrice += money.VND(o.amount)
			line.Modifiers = append(line.Modifiers, PricedModifier{OptionID: o.id, GroupName: o.groupName, Name: o.name,
				PriceDelta: money.VND(o.amount)})
		}
		for _, g := range e.groups {
			n := chosen[g.groupID]
			if n < g.minSelect {
				f.add(at+".modifier_option_ids", "choose at least "+strconv.Itoa(g.minSelect)+" of "+strconv.Quote(g.groupName))
			}
			if n > g.maxSelect {
				f.add(at+".modifier_option_ids", "choose at most "+strconv.Itoa(g.maxSelect)+" of "+strconv.Quote(g.groupName))
			}
		}
		available := p.available
		for _, c := range e.components {
			cp, ok := products[c.id]
			if !ok { // an archived component cannot be ordered
				available = false
				continue
			}
			available = available && cp.available
			line.Components = append(line.Components, ComboComponent{ProductID: cp.id, Name: cp.name, Station: cp.station,
				Quantity: int(c.amount)})
		}
		if !available && !slices.Contains(soldOut, p.name) {
			soldOut = append(soldOut, p.name)
		}
		out[i] = line
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if len(soldOut) > 0 {
		return nil, apperr.E(apperr.Conflict, "%s is sold out", strings.Join(soldOut, ", "))
	}
	return out, nil
}
