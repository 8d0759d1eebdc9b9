package report

import (
	"cmp"
	"maps"
	"math/big"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// oracle computes every report figure straight from a world's source data, without the read models: what
// the reports must equal, to the đồng.
type oracle struct {
	w         *world
	names     map[string]string // people
	catNames  map[string]string
	shopNames map[string]string
	settings  map[string]ReportSettings // per shop; missing: the defaults
}

func localDay(t time.Time) string { return clock.LocalDate(t) }

func (o *oracle) inScope(shop string, sc Scope) bool {
	switch {
	case sc.ShopID != "":
		return shop == sc.ShopID
	case sc.Shops != nil:
		return slices.Contains(sc.Shops, shop)
	}
	return true
}

func inRange(day, from, to string) bool { return day >= from && day <= to }

func (o *oracle) name(id string) string {
	if n := o.names[id]; n != "" {
		return n
	}
	return id
}

func (o *oracle) catName(id string) string {
	switch id {
	case CategoryRoomTime:
		return "Tiền giờ"
	case CategoryUncategorized:
		return "Chưa phân loại"
	}
	if n := o.catNames[id]; n != "" {
		return n
	}
	return id
}

func (o *oracle) setting(shop string) ReportSettings {
	if s, ok := o.settings[shop]; ok {
		return s
	}
	return ReportSettings{OpenMinutesPerDay: DefaultOpenMinutesPerDay, DefaultTargetMinutes: DefaultTargetMinutes}
}

// finished lists the orders reports know (all but those merged away) that finished in the range and scope.
func (o *oracle) finished(from, to string, sc Scope) []*srcOrder {
	var out []*srcOrder
	for _, ord := range o.w.orders {
		if !ord.merged && o.inScope(ord.shop, sc) && inRange(localDay(ord.finishedAt), from, to) {
			out = append(out, ord)
		}
	}
	return out
}

func net(p srcPayment) money.VND { return money.VND(p.amount - p.refunded) }

func revenueOf(ord *srcOrder) (revenue, refunds money.VND) {
	for _, p := range ord.payments {
		revenue += net(p)
		refunds += money.VND(p.refunded)
	}
	return revenue, refunds
}

func customersOf(ord *srcOrder) int64 {
	switch {
	case ord.guests > 0:
		return int64(ord.guests)
	case ord.subtotal > 0 && ord.splitOf == "":
		return 1
	}
	return 0
}

// share is the rule for sharing an order's revenue over its items, computed with big integers: each part
// floored, the rest to the first largest weight.
func share(amount money.VND, weights []money.VND) ([]money.VND, money.VND) {
	parts := make([]money.VND, len(weights))
	sum, largest := int64(0), -1
	for i, w := range weights {
		sum += int64(w)
		if w > 0 && (largest < 0 || w > weights[largest]) {
			largest = i
		}
	}
	if sum == 0 {
		return parts, amount
	}
	var given money.VND
	for i, w := range weights {
		q := new(big.Int).Mul(big.NewInt(int64(amount)), big.NewInt(int64(w)))
		q.Div(q, big.NewInt(sum)) // amount ≥ 0: Div floors
		parts[i] = money.VND(q.Int64())
		given += parts[i]
	}
	parts[largest] += amount - given
	return parts, 0
}

// sales adds a closed order's categories and products.
func (o *oracle) sales(ord *srcOrder, cats map[string]*CategorySales, prods map[string]*ProductSales) {
	revenue, _ := revenueOf(ord)
	type item struct {
		cat, product, name string
		qty                int64
	}
	var items []item
	var weights []money.VND
	for _, l := range ord.lines {
		if l.voided {
			continue
		}
		cat := l.category
		if cat == "" {
			cat = CategoryUncategorized
		}
		items = append(items, item{cat, l.product, l.name, int64(l.qty)})
		weights = append(weights, money.VND(l.price*int64(l.qty)-l.discount))
	}
	if ord.timeAmount > 0 {
		items = append(items, item{cat: CategoryRoomTime})
		weights = append(weights, money.VND(ord.timeAmount))
	}
	parts, rest := share(revenue, weights)
	cat := func(id string) *CategorySales {
		if cats[id] == nil {
			cats[id] = &CategorySales{CategoryID: id, Name: o.catName(id)}
		}
		return cats[id]
	}
	for i, it := range items {
		c := cat(it.cat)
		c.Quantity += it.qty
		c.Revenue += parts[i]
		if it.product != "" {
			if prods[it.product] == nil {
				prods[it.product] = &ProductSales{ProductID: it.product, Name: it.name}
			}
			prods[it.product].Quantity += it.qty
			prods[it.product].Revenue += parts[i]
		}
	}
	if rest != 0 {
		cat(CategoryUncategorized).Revenue += rest
	}
}

func (o *oracle) payments(ord *srcOrder, pays map[string]*MethodAmount) {
	for _, p := range ord.payments {
		if pays[p.method] == nil {
			pays[p.method] = &MethodAmount{Method: p.method}
		}
		pm := pays[p.method]
		pm.Amount += net(p)
		pm.Refunded += money.VND(p.refunded)
		if net(p) > 0 {
			pm.Count++
		}
	}
}

func sortedPays(pays map[string]*MethodAmount) []MethodAmount {
	out := []MethodAmount{}
	for _, k := range slices.Sorted(maps.Keys(pays)) {
		out = append(out, *pays[k])
	}
	slices.SortStableFunc(out, func(a, b MethodAmount) int { return cmp.Compare(b.Amount, a.Amount) })
	return out
}

func sortedCats(cats map[string]*CategorySales) []CategorySales {
	out := []CategorySales{}
	for _, k := range slices.Sorted(maps.Keys(cats)) {
		out = append(out, *cats[k])
	}
	slices.SortStableFunc(out, func(a, b CategorySales) int { return cmp.Compare(b.Revenue, a.Revenue) })
	return out
}

func (o *oracle) kpis(from, to string, sc Scope) KPIs {
	var k KPIs
	for _, ord := range o.finished(from, to, sc) {
		revenue, refunds := revenueOf(ord)
		k.Revenue += revenue
		k.Refunds += refunds
		if ord.cancelled {
			k.Cancelled++
			continue
		}
		if ord.subtotal > 0 {
			k.Orders++
		}
		k.Customers += customersOf(ord)
		k.GrossSales += money.VND(ord.subtotal)
		k.Discounts += money.VND(ord.discount)
	}
	if k.Orders > 0 {
		k.AverageTicket = k.Revenue / money.VND(k.Orders)
	}
	return k
}

func pct(cur, prev int64) *float64 {
	if prev == 0 {
		return nil
	}
	v := oneDecimal(float64(cur-prev) * 100 / float64(prev))
	return &v
}

func (o *oracle) revenue(from, to string, sc Scope, top int) Revenue {
	f, _ := time.ParseInLocation(time.DateOnly, from, clock.VietnamZone)
	t, _ := time.ParseInLocation(time.DateOnly, to, clock.VietnamZone)
	days := int(t.Sub(f).Hours()/24) + 1
	pt := f.AddDate(0, 0, -1)
	pf := pt.AddDate(0, 0, -(days - 1))
	r := Revenue{From: from, To: to, ShopID: sc.ShopID, KPIs: o.kpis(from, to, sc),
		Previous: PreviousPeriod{From: pf.Format(time.DateOnly), To: pt.Format(time.DateOnly)}}
	r.Previous.KPIs = o.kpis(r.Previous.From, r.Previous.To, sc)
	c, p := r.KPIs, r.Previous.KPIs
	r.Change = KPIChange{Revenue: c.Revenue - p.Revenue, Orders: c.Orders - p.Orders, AverageTicket: c.AverageTicket - p.AverageTicket,
		Customers: c.Customers - p.Customers, RevenuePercent: pct(int64(c.Revenue), int64(p.Revenue)),
		OrdersPercent: pct(c.Orders, p.Orders), AverageTicketPercent: pct(int64(c.AverageTicket), int64(p.AverageTicket)),
		CustomersPercent: pct(c.Customers, p.Customers)}
	r.ByHour = make([]HourRevenue, 24)
	for h := range r.ByHour {
		r.ByHour[h].Hour = h
	}
	if days == 1 {
		r.SeriesBy = "hour"
		for h := range 24 {
			r.Series = append(r.Series, SeriesPoint{Date: from, Hour: &[]int{h}[0]})
		}
	} else {
		r.SeriesBy = "day"
		for i := range days {
			r.Series = append(r.Series, SeriesPoint{Date: f.AddDate(0, 0, i).Format(time.DateOnly)})
		}
	}
	pays, cats, prods := map[string]*MethodAmount{}, map[string]*CategorySales{}, map[string]*ProductSales{}
	for _, ord := range o.finished(from, to, sc) {
		revenue, _ := revenueOf(ord)
		local := ord.finishedAt.In(clock.VietnamZone)
		counted := int64(0)
		if !ord.cancelled && ord.subtotal > 0 {
			counted = 1
		}
		r.ByHour[local.Hour()].Revenue += revenue
		r.ByHour[local.Hour()].Orders += counted
		i := int(local.Sub(f).Hours() / 24)
		if days == 1 {
			i = local.Hour()
		}
		r.Series[i].Revenue += revenue
		r.Series[i].Orders += counted
		o.payments(ord, pays)
		if !ord.cancelled {
			o.sales(ord, cats, prods)
		}
	}
	r.ByPaymentMethod, r.ByCategory = sortedPays(pays), sortedCats(cats)
	r.TopProducts = []ProductSales{}
	for _, p := range prods {
		r.TopProducts = append(r.TopProducts, *p)
	}
	slices.SortFunc(r.TopProducts, func(a, b ProductSales) int {
		return cmp.Or(cmp.Compare(b.Revenue, a.Revenue), cmp.Compare(b.Quantity, a.Quantity), cmp.Compare(a.ProductID, b.ProductID))
	})
	r.TopProducts = r.TopProducts[:min(top, len(r.TopProducts))]
	return r
}

func (o *oracle) endOfDay(shop, day string) EndOfDay {
	r := EndOfDay{Date: day, ShopID: shop, ShopName: o.shopNames[shop]}
	sc := Scope{ShopID: shop}
	pays, cats, prods := map[string]*MethodAmount{}, map[string]*CategorySales{}, map[string]*ProductSales{}
	staff := map[string]*StaffSales{}
	for _, ord := range o.finished(day, day, sc) {
		revenue, refunds := revenueOf(ord)
		r.Revenue += revenue
		r.Refunds += refunds
		o.payments(ord, pays)
		if ord.cancelled {
			r.CancelledOrders++
			continue
		}
		if staff[ord.openedBy] == nil {
			staff[ord.openedBy] = &StaffSales{StaffID: ord.openedBy, Name: o.name(ord.openedBy)}
		}
		staff[ord.openedBy].Revenue += revenue
		if ord.subtotal > 0 {
			r.Orders++
			staff[ord.openedBy].Orders++
		}
		r.Guests += customersOf(ord)
		r.GrossSales += money.VND(ord.subtotal)
		r.Discounts += money.VND(ord.discount)
		r.ServiceCharge += money.VND(ord.service)
		r.VAT += money.VND(ord.vat)
		r.Total += money.VND(ord.total)
		o.sales(ord, cats, prods)
	}
	r.NetSales = r.Total - r.VAT
	if r.Orders > 0 {
		r.AverageTicket = r.Revenue / money.VND(r.Orders)
	}
	r.ByPaymentMethod, r.ByCategory = sortedPays(pays), sortedCats(cats)
	r.ByStaff = []StaffSales{}
	for _, k := range slices.Sorted(maps.Keys(staff)) {
		r.ByStaff = append(r.ByStaff, *staff[k])
	}
	slices.SortStableFunc(r.ByStaff, func(a, b StaffSales) int { return cmp.Compare(b.Revenue, a.Revenue) })
	r.Voids = []VoidedLine{}
	for _, v := range o.w.voids {
		if v.shop != shop || localDay(v.at) != day {
			continue
		}
		amount := money.VND(v.line.price * int64(v.line.qty))
		void := VoidedLine{OrderID: v.order, OrderLineID: v.line.id, ProductID: v.line.product, Name: v.line.name,
			Quantity: v.line.qty, Amount: amount, Reason: v.reason, VoidedBy: v.actor, VoidedByName: o.name(v.actor),
			ApprovedBy: v.approvedBy, VoidedAt: v.at}
		if v.approvedBy != "" {
			void.ApprovedByName = o.name(v.approvedBy)
		}
		r.Voids = append(r.Voids, void)
		r.VoidsAmount += amount
	}
	slices.SortFunc(r.Voids, func(a, b VoidedLine) int {
		return cmp.Or(a.VoidedAt.Compare(b.VoidedAt), cmp.Compare(a.OrderLineID, b.OrderLineID))
	})
	r.Cash.Shifts = []ShiftCash{}
	for _, s := range o.w.shifts {
		if s.shop != shop || localDay(s.closed) != day {
			continue
		}
		sh := ShiftCash{ShiftID: s.id, CashierID: s.cashier, CashierName: o.name(s.cashier), OpenedAt: s.opened,
			ClosedAt: s.closed, OpeningCash: money.VND(s.opening), CashSales: money.VND(s.sales), CashRefunds: money.VND(s.refunds),
			CashIn: money.VND(s.cashIn), CashOut: money.VND(s.cashOut), ExpectedCash: money.VND(s.expected),
			CountedCash: money.VND(s.counted), Variance: money.VND(s.delta)}
		r.Cash.Shifts = append(r.Cash.Shifts, sh)
		r.Cash.OpeningCash += sh.OpeningCash
		r.Cash.CashSales += sh.CashSales
		r.Cash.CashRefunds += sh.CashRefunds
		r.Cash.CashIn += sh.CashIn
		r.Cash.CashOut += sh.CashOut
		r.Cash.ExpectedCash += sh.ExpectedCash
		r.Cash.CountedCash += sh.CountedCash
		r.Cash.Variance += sh.Variance
	}
	slices.SortFunc(r.Cash.Shifts, func(a, b ShiftCash) int {
		return cmp.Or(a.ClosedAt.Compare(b.ClosedAt), cmp.Compare(a.ShiftID, b.ShiftID))
	})
	return r
}

func (o *oracle) staff(from, to string, sc Scope, sort string, desc bool) StaffPerformance {
	rows := map[string]*StaffRow{}
	row := func(id string) *StaffRow {
		if rows[id] == nil {
			rows[id] = &StaffRow{StaffID: id, Name: o.name(id)}
		}
		return rows[id]
	}
	byID := map[string]*srcOrder{}
	for _, ord := range o.finished(from, to, sc) {
		byID[ord.id] = ord
		if ord.cancelled {
			continue
		}
		revenue, _ := revenueOf(ord)
		r := row(ord.openedBy)
		r.Revenue += revenue
		if ord.subtotal > 0 {
			r.Orders++
		}
	}
	for _, t := range o.w.tickets {
		ord := byID[t.order]
		if t.void || ord == nil || len(t.readies) == 0 {
			continue
		}
		r := row(ord.openedBy)
		r.TicketsReady++
		target := o.setting(t.shop).DefaultTargetMinutes
		for _, st := range o.setting(t.shop).StationTargets {
			if st.Station == t.station {
				target = st.TargetMinutes
			}
		}
		if t.readies[len(t.readies)-1].Sub(t.created)/time.Second <= time.Duration(target*60) {
			r.TicketsOnTime++
		}
	}
	for _, v := range o.w.voids {
		if o.inScope(v.shop, sc) && inRange(localDay(v.at), from, to) {
			r := row(v.actor)
			r.Voids++
			r.VoidsAmount += money.VND(v.line.price * int64(v.line.qty))
		}
	}
	out := StaffPerformance{From: from, To: to, ShopID: sc.ShopID, Sort: sort, Items: []StaffRow{}}
	for _, r := range rows {
		if r.Orders > 0 {
			r.AverageTicket = r.Revenue / money.VND(r.Orders)
		}
		if r.TicketsReady > 0 {
			v := oneDecimal(float64(r.TicketsOnTime) * 100 / float64(r.TicketsReady))
			r.OnTimePercent = &v
		}
		out.Items = append(out.Items, *r)
	}
	by := staffSort[sort]
	slices.SortFunc(out.Items, func(a, b StaffRow) int {
		c := by(a, b)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.StaffID, b.StaffID))
	})
	return out
}

func (o *oracle) venue(from, to string, sc Scope) VenueMetrics {
	f, _ := time.ParseInLocation(time.DateOnly, from, clock.VietnamZone)
	t, _ := time.ParseInLocation(time.DateOnly, to, clock.VietnamZone)
	days := int64(t.Sub(f).Hours()/24) + 1
	v := VenueMetrics{From: from, To: to, ShopID: sc.ShopID, Rooms: RoomMetrics{Items: []RoomUse{}}, Tables: TableMetric{Items: []TableUse{}}}
	rooms := map[string]*RoomUse{}
	type sitting struct {
		shop, name      string
		n, secs, guests int64
	}
	tables := map[string]*sitting{}
	for _, ord := range o.finished(from, to, sc) {
		if ord.cancelled {
			continue
		}
		revenue, _ := revenueOf(ord)
		switch {
		case ord.typ == "room" && ord.room != "":
			r := rooms[ord.room]
			if r == nil {
				r = &RoomUse{ShopID: ord.shop, RoomID: ord.room, Name: ord.place}
				rooms[ord.room] = r
			}
			r.Sessions++
			r.Minutes += int64(ord.timeMinutes)
			r.Revenue += revenue
		case ord.typ == "dine_in" && ord.table != "" && ord.splitOf == "":
			s := tables[ord.table]
			if s == nil {
				s = &sitting{shop: ord.shop, name: ord.place}
				tables[ord.table] = s
			}
			s.n++
			s.secs += int64(ord.finishedAt.Sub(ord.openedAt) / time.Second)
			s.guests += int64(ord.guests)
		}
	}
	var available int64
	for _, r := range rooms {
		open := int64(o.setting(r.ShopID).OpenMinutesPerDay) * days
		available += open
		if r.Minutes > 0 {
			r.RevenuePerRoomHour = r.Revenue * 60 / money.VND(r.Minutes)
		}
		r.OccupancyPercent = ratioPercent(r.Minutes, open)
		v.Rooms.Items = append(v.Rooms.Items, *r)
		v.Rooms.Sessions += r.Sessions
		v.Rooms.Minutes += r.Minutes
		v.Rooms.Revenue += r.Revenue
	}
	if sc.ShopID != "" {
		for _, p := range o.w.rooms[sc.ShopID] {
			if rooms[p.ID] == nil {
				available += int64(o.setting(sc.ShopID).OpenMinutesPerDay) * days
				v.Rooms.Items = append(v.Rooms.Items, RoomUse{ShopID: sc.ShopID, RoomID: p.ID, Name: p.Name})
			}
		}
	}
	slices.SortFunc(v.Rooms.Items, func(a, b RoomUse) int {
		return cmp.Or(cmp.Compare(a.ShopID, b.ShopID), cmp.Compare(a.Name, b.Name), cmp.Compare(a.RoomID, b.RoomID))
	})
	if v.Rooms.Minutes > 0 {
		v.Rooms.RevenuePerRoomHour = v.Rooms.Revenue * 60 / money.VND(v.Rooms.Minutes)
	}
	v.Rooms.OccupancyPercent = ratioPercent(v.Rooms.Minutes, available)
	var secs, guests int64
	for id, s := range tables {
		v.Tables.Items = append(v.Tables.Items, TableUse{ShopID: s.shop, TableID: id, Name: s.name, Sittings: s.n,
			AverageTurnMinutes: ratio(s.secs, 60*s.n), GuestsPerTable: ratio(s.guests, s.n)})
		v.Tables.Sittings += s.n
		secs += s.secs
		guests += s.guests
	}
	slices.SortFunc(v.Tables.Items, func(a, b TableUse) int {
		return cmp.Or(cmp.Compare(a.ShopID, b.ShopID), cmp.Compare(a.Name, b.Name), cmp.Compare(a.TableID, b.TableID))
	})
	v.Tables.AverageTurnMinutes = ratio(secs, 60*v.Tables.Sittings)
	v.Tables.GuestsPerTable = ratio(guests, v.Tables.Sittings)
	return v
}
