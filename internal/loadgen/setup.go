package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goodgo/goodgo/internal/platform/money"
)

// The fleet: terminals work in shops, shops belong to merchants. A merchant on its sign-up trial (the Pro plan)
// may have 10 shops and 50 staff, so a large fleet is spread over several merchants, each well inside the
// limits: 4 shops × (8 terminals + one kitchen display per station) = 40 staff.
const (
	terminalsPerShop  = 8
	shopsPerMerchant  = 4
	tablesPerTerminal = 4 // a restaurant terminal's own tables, used in turn
	roomsPerTerminal  = 2 // a karaoke terminal's own rooms, used in turn
	setupParallel     = 4 // merchants set up at once
)

// stations are where the menu's lines are prepared; each shop has a kitchen display per station.
var stations = []string{"kitchen", "bar"}

// terminalPlan is one terminal to set up.
type terminalPlan struct {
	index    int // 0…n-1: seeds the terminal's random choices
	scenario Scenario
}

// shopPlan is one shop to set up: a restaurant (restaurant, QR and dashboard terminals) or a karaoke.
type shopPlan struct {
	kind      Scenario // Restaurant or Karaoke
	terminals []terminalPlan
}

// merchantPlan is one merchant to sign up, with its shops.
type merchantPlan struct {
	shops []shopPlan
}

// planFleet places counts terminals of each scenario in shops and the shops in merchants. Restaurant, QR and
// dashboard terminals share restaurants, spread evenly so that every restaurant gets its part of each;
// karaoke terminals work in karaoke shops.
func planFleet(counts map[Scenario]int) []merchantPlan {
	var shops []shopPlan
	chunk := func(kind Scenario, seq []Scenario) {
		for len(seq) > 0 {
			n := min(terminalsPerShop, len(seq))
			sp := shopPlan{kind: kind}
			for _, sc := range seq[:n] {
				sp.terminals = append(sp.terminals, terminalPlan{scenario: sc})
			}
			shops = append(shops, sp)
			seq = seq[n:]
		}
	}
	chunk(Restaurant, interleave(counts, []Scenario{Restaurant, QR, Dashboard}))
	chunk(Karaoke, interleave(counts, []Scenario{Karaoke}))
	var merchants []merchantPlan
	index := 0
	for len(shops) > 0 {
		n := min(shopsPerMerchant, len(shops))
		for i := range shops[:n] {
			for j := range shops[i].terminals {
				shops[i].terminals[j].index = index
				index++
			}
		}
		merchants = append(merchants, merchantPlan{shops: shops[:n]})
		shops = shops[n:]
	}
	return merchants
}

// interleave lists counts[sc] terminals of each scenario of scs, evenly spread: the k-th of n terminals of a
// scenario sits at (k+½)/n of the way.
func interleave(counts map[Scenario]int, scs []Scenario) []Scenario {
	type slot struct {
		at    float64
		order int
		sc    Scenario
	}
	var slots []slot
	for i, sc := range scs {
		n := counts[sc]
		for k := range n {
			slots = append(slots, slot{(float64(k) + 0.5) / float64(n), i, sc})
		}
	}
	sort.SliceStable(slots, func(a, b int) bool {
		if slots[a].at != slots[b].at {
			return slots[a].at < slots[b].at
		}
		return slots[a].order < slots[b].order
	})
	out := make([]Scenario, len(slots))
	for i, s := range slots {
		out[i] = s.sc
	}
	return out
}

// product is a menu item a terminal can order.
type product struct {
	id     string
	price  money.VND
	groups []modifierGroup
}

// modifierGroup is a product's choice of modifiers: pick between min and max of options.
type modifierGroup struct {
	min, max int
	options  []string
}

// menu is a merchant's menu: food goes to the kitchen station, drinks to the bar.
type menu struct {
	food, drinks []product
}

// shop is a set-up shop.
type shop struct {
	id      string
	kind    Scenario
	account string // the bank account VietQR codes pay into
	apiKey  string // the bank-statement webhook's key for that account
	menu    *menu
}

// terminal is a set-up terminal: a staff member signed in by PIN on a shop's device, with the tables or rooms
// it serves.
type terminal struct {
	index    int
	scenario Scenario
	shop     *shop
	staffID  string
	sess     *session
	tables   []created // id and QR token
	rooms    []string
}

// display is a set-up kitchen display: a kitchen staff member watching one station of a shop.
type display struct {
	shop    *shop
	station string
	sess    *session
}

// fleet is everything the set-up made.
type fleet struct {
	merchants int
	shops     []*shop
	terminals []*terminal
	displays  []*display
}

// setup signs up the merchants and builds their shops, menus, floors and staff through the API, as owners
// and their staff would. Its requests are recorded apart from the run's.
type setup struct {
	cl     *client
	log    *slog.Logger
	runID  string
	domain string
	hinted atomic.Bool
}

// errSetup wraps a failure of the set-up.
var errSetup = errors.New("set-up failed")

// must sends c and fails unless it succeeds. A 429 (the set-up burst hitting the server's rate limits) is
// waited out as Retry-After asks, a few times, with a hint to exempt this host.
func (s *setup) must(ctx context.Context, c call) error {
	for attempt := 0; ; attempt++ {
		status, err := s.cl.do(ctx, c)
		if err == nil {
			return nil
		}
		if status != http.StatusTooManyRequests || attempt == 5 {
			return fmt.Errorf("%w: %s: %w", errSetup, c.op, err)
		}
		if s.hinted.CompareAndSwap(false, true) {
			s.log.Warn("the server rate-limits the set-up burst; waiting it out. Run the server with " +
				"GOODGO_RATELIMIT_EXEMPT_CIDRS set to this host's address to load it at full speed")
		}
		select {
		case <-ctx.Done():
			return errAborted
		case <-time.After(retryAfter(err)):
		}
	}
}

// build sets up every merchant of plan, a few at a time.
func (s *setup) build(ctx context.Context, plan []merchantPlan) (*fleet, error) {
	f := &fleet{merchants: len(plan)}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, setupParallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for k, mp := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			part, err := s.merchant(ctx, k, mp)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			f.shops = append(f.shops, part.shops...)
			f.terminals = append(f.terminals, part.terminals...)
			f.displays = append(f.displays, part.displays...)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	slices.SortFunc(f.terminals, func(a, b *terminal) int { return a.index - b.index })
	return f, nil
}

// merchant signs up merchant k and sets up its menu and shops.
func (s *setup) merchant(ctx context.Context, k int, mp merchantPlan) (*fleet, error) {
	var reg tokens
	err := s.must(ctx, call{op: "setup.register", method: http.MethodPost, path: "/api/v1/auth/register",
		body: map[string]string{"email": fmt.Sprintf("loadgen-%s-%d@%s", s.runID, k, s.domain),
			"password": "GoodGo-load-" + randomHex(12), "full_name": "Chủ quán thử tải",
			"merchant_name": fmt.Sprintf("GoodGo loadgen %s #%d", s.runID, k+1)},
		want: http.StatusCreated, out: &reg})
	if err != nil {
		return nil, err
	}
	owner := reg.session(time.Now())
	m, err := s.menu(ctx, owner)
	if err != nil {
		return nil, err
	}
	part := &fleet{}
	for i, sp := range mp.shops {
		if err := s.shop(ctx, owner, m, fmt.Sprintf("%d.%d", k+1, i+1), sp, part); err != nil {
			return nil, err
		}
	}
	return part, nil
}

// menu creates the merchant's menu: food with optional extras for the kitchen, drinks with a size to choose
// (and optional ice and sugar) for the bar.
func (s *setup) menu(ctx context.Context, owner *session) (*menu, error) {
	post := func(op, path string, body any, out any) error {
		return s.must(ctx, call{op: op, method: http.MethodPost, path: path, sess: owner, body: body, idem: true,
			want: http.StatusCreated, out: out})
	}
	var food, drinks created
	if err := post("setup.category", "/api/v1/categories", map[string]any{"name": "Món chính", "station": "kitchen"}, &food); err != nil {
		return nil, err
	}
	if err := post("setup.category", "/api/v1/categories", map[string]any{"name": "Đồ uống", "station": "bar"}, &drinks); err != nil {
		return nil, err
	}
	type option struct {
		Name       string    `json:"name"`
		PriceDelta money.VND `json:"price_delta"`
	}
	group := func(name string, lo, hi int, opts ...option) (string, modifierGroup, error) {
		var g struct {
			ID      string `json:"id"`
			Options []struct {
				ID string `json:"id"`
			} `json:"options"`
		}
		err := post("setup.modifier_group", "/api/v1/modifier-groups", map[string]any{"name": name, "min_select": lo,
			"max_select": hi, "options": opts}, &g)
		mg := modifierGroup{min: lo, max: hi}
		for _, o := range g.Options {
			mg.options = append(mg.options, o.ID)
		}
		return g.ID, mg, err
	}
	extrasID, extras, err := group("Thêm", 0, 2, option{"Thêm trứng", 5000}, option{"Thêm quẩy", 5000}, option{"Thêm thịt", 15000})
	if err != nil {
		return nil, err
	}
	sizeID, size, err := group("Cỡ", 1, 1, option{"Vừa", 0}, option{"Lớn", 10000})
	if err != nil {
		return nil, err
	}
	iceID, ice, err := group("Đá, đường", 0, 2, option{"Ít đá", 0}, option{"Ít đường", 0})
	if err != nil {
		return nil, err
	}
	type item struct {
		name   string
		price  money.VND
		ids    []string
		groups []modifierGroup
	}
	m := &menu{}
	add := func(list *[]product, category string, items ...item) error {
		for _, it := range items {
			var p created
			body := map[string]any{"name": it.name, "category_id": category, "price": it.price}
			if len(it.ids) > 0 {
				body["modifier_group_ids"] = it.ids
			}
			if err := post("setup.product", "/api/v1/products", body, &p); err != nil {
				return err
			}
			*list = append(*list, product{id: p.ID, price: it.price, groups: it.groups})
		}
		return nil
	}
	withExtras := []string{extrasID}
	err = add(&m.food, food.ID,
		item{"Phở bò tái", 55000, withExtras, []modifierGroup{extras}},
		item{"Bún chả Hà Nội", 50000, withExtras, []modifierGroup{extras}},
		item{"Cơm rang dưa bò", 60000, nil, nil},
		item{"Gỏi cuốn", 40000, nil, nil},
		item{"Nem rán", 45000, nil, nil},
		item{"Mực chiên giòn", 95000, nil, nil})
	if err != nil {
		return nil, err
	}
	err = add(&m.drinks, drinks.ID,
		item{"Cà phê sữa đá", 29000, []string{sizeID, iceID}, []modifierGroup{size, ice}},
		item{"Sinh tố bơ", 45000, []string{sizeID, iceID}, []modifierGroup{size, ice}},
		item{"Nước cam", 35000, []string{sizeID}, []modifierGroup{size}},
		item{"Trà đá", 5000, nil, nil},
		item{"Trà chanh", 20000, nil, nil},
		item{"Bia Hà Nội", 25000, nil, nil})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// shop creates one shop of the plan with its bank account for VietQR, the bank-statement webhook's key, its
// floor (tables or rooms with rate plans), a kitchen display per station and the terminals' staff.
func (s *setup) shop(ctx context.Context, owner *session, m *menu, label string, sp shopPlan, part *fleet) error {
	do := func(op, method, path string, body any, want int, out any) error {
		return s.must(ctx, call{op: op, method: method, path: path, sess: owner, body: body, idem: true, want: want, out: out})
	}
	name, business := "Quán ăn thử tải "+label, "restaurant"
	if sp.kind == Karaoke {
		name, business = "Karaoke thử tải "+label, "karaoke"
	}
	var made created
	if err := do("setup.shop", http.MethodPost, "/api/v1/shops", map[string]any{"name": name, "business_type": business,
		"address": "Hoàn Kiếm, Hà Nội", "vat_rate_percent": 8}, http.StatusCreated, &made); err != nil {
		return err
	}
	sh := &shop{id: made.ID, kind: sp.kind, account: randomDigits(13), apiKey: randomHex(24), menu: m}
	shopPath := "/api/v1/shops/" + sh.id
	if err := do("setup.shop_bank_account", http.MethodPatch, shopPath, map[string]any{"bank_bin": "970436",
		"bank_account_number": sh.account, "bank_account_name": "GOODGO LOADGEN"}, http.StatusOK, nil); err != nil {
		return err
	}
	if err := do("setup.bank_transfer_provider", http.MethodPut, shopPath+"/payment-providers/bank_transfer",
		map[string]any{"account_ref": sh.account, "secrets": map[string]string{"api_key": sh.apiKey}}, http.StatusOK, nil); err != nil {
		return err
	}
	var area created
	if sp.kind == Restaurant {
		if err := do("setup.area", http.MethodPost, shopPath+"/areas", map[string]any{"name": "Tầng 1"}, http.StatusCreated, &area); err != nil {
			return err
		}
	} else {
		// Day and evening prices per hour; 15-minute blocks, one hour at least.
		for roomType, day := range map[string]int{"small": 120000, "vip": 300000} {
			bands := []map[string]any{
				{"day_type": "weekday", "start": "00:00", "end": "18:00", "price_per_hour": day},
				{"day_type": "weekday", "start": "18:00", "end": "24:00", "price_per_hour": day + 40000}}
			if err := do("setup.rate_plan", http.MethodPut, shopPath+"/rate-plans/"+roomType, map[string]any{"block_minutes": 15,
				"minimum_minutes": 60, "bands": bands}, http.StatusOK, nil); err != nil {
				return err
			}
		}
	}
	staff := func(name, role string) (string, *session, error) {
		pin := randomDigits(6)
		var st created
		if err := do("setup.staff", http.MethodPost, shopPath+"/staff", map[string]any{"full_name": name, "role": role, "pin": pin},
			http.StatusCreated, &st); err != nil {
			return "", nil, err
		}
		var t tokens
		err := s.must(ctx, call{op: "setup.pin_login", method: http.MethodPost, path: "/api/v1/auth/pin-login",
			body: map[string]string{"shop_id": sh.id, "staff_id": st.ID, "pin": pin}, want: http.StatusOK, out: &t})
		if err != nil {
			return "", nil, err
		}
		return st.ID, t.session(time.Now()), nil
	}
	for _, station := range stations {
		_, sess, err := staff("Bếp "+station+" "+label, "kitchen")
		if err != nil {
			return err
		}
		part.displays = append(part.displays, &display{shop: sh, station: station, sess: sess})
	}
	places := 0
	for i, tp := range sp.terminals {
		t := &terminal{index: tp.index, scenario: tp.scenario, shop: sh}
		role := "cashier"
		if tp.scenario == Dashboard {
			role = "manager"
		}
		var err error
		if t.staffID, t.sess, err = staff(fmt.Sprintf("Nhân viên %d (%s) %s", i+1, tp.scenario, label), role); err != nil {
			return err
		}
		tables := map[Scenario]int{Restaurant: tablesPerTerminal, QR: 1}[tp.scenario]
		for range tables {
			places++
			var tb created
			if err := do("setup.table", http.MethodPost, shopPath+"/tables", map[string]any{"area_id": area.ID,
				"name": fmt.Sprintf("B%d", places), "seats": 4}, http.StatusCreated, &tb); err != nil {
				return err
			}
			t.tables = append(t.tables, tb)
		}
		if tp.scenario == Karaoke {
			for j := range roomsPerTerminal {
				places++
				var rm created
				if err := do("setup.room", http.MethodPost, shopPath+"/rooms", map[string]any{"name": fmt.Sprintf("Phòng %d", places),
					"room_type": []string{"small", "vip"}[j%2]}, http.StatusCreated, &rm); err != nil {
					return err
				}
				t.rooms = append(t.rooms, rm.ID)
			}
		}
		part.terminals = append(part.terminals, t)
	}
	part.shops = append(part.shops, sh)
	return nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	out := make([]byte, n)
	ten := big.NewInt(10)
	for i := range out {
		d, _ := rand.Int(rand.Reader, ten)
		out[i] = byte('0' + d.Int64())
	}
	return string(out)
}
