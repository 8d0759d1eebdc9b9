package app

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/goodgo/goodgo/internal/booking"
	"github.com/goodgo/goodgo/internal/catalog"
	"github.com/goodgo/goodgo/internal/iam"
	"github.com/goodgo/goodgo/internal/inventory"
	"github.com/goodgo/goodgo/internal/kitchen"
	"github.com/goodgo/goodgo/internal/kitchen/printq"
	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/order"
	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/shift"
	"github.com/goodgo/goodgo/internal/payment/wallet"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/secretbox"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report"
	"github.com/goodgo/goodgo/internal/storage"
)

// modules is the registry of business modules, in a stable order. Each entry wires one bounded context: its
// migrations, the services it needs from the modules it Requires, and its routes and workers. Services that
// another module needs are captured in this function's variables and handed over through the small
// interfaces the consumer declares (iam.Merchants is implemented here by merchantAccess).
func modules() []Module {
	// The identity and merchant services need each other (sign-up creates a merchant; adding staff creates
	// an account), so both are built by whichever module is initialised first and handed over through the
	// consumers' interfaces. iam is initialised in every deployment that serves either, because every
	// replica verifies tokens.
	accounts := &staffAccounts{}
	var merchants *merchant.Service
	var (
		transferSteps func(k *Kit) []merchant.TransferStep
		shopChanged   func(k *Kit) func(ctx context.Context, shopID string, ms ...tenant.ID)
	)
	merchantService := func(k *Kit) *merchant.Service {
		if merchants == nil {
			providerSecrets, err := secretbox.New(k.DeriveKey("merchant-provider-secrets"))
			if err != nil {
				panic(err) // DeriveKey returns 32 bytes, which New always accepts
			}
			merchants = merchant.New(k.DB, k.Clock, merchant.Options{Nudge: k.Relay.Nudge, Accounts: accounts,
				Audit: accounts.audit, Secrets: providerSecrets, Transfer: transferSteps(k), ShopChanged: shopChanged(k)})
		}
		return merchants
	}
	var (
		catalogs    *catalog.Service
		inventories *inventory.Service
		files       *storage.Service
		kitchens    *kitchen.Service
		orders      *order.Service
		bookings    *booking.Service
		printers    *printq.Service
		rates       *timebill.Service
		payments    *payment.Service
		shifts      *shift.Service
		wallets     *wallet.Service
		reports     *report.Service
	)
	shops := func(k *Kit) shopDirectory { return shopDirectory{merchantService(k)} }
	storageService := func(k *Kit) *storage.Service {
		if files == nil {
			files = storage.New(k.DB, k.Files, k.Clock, storage.Options{MaxBytes: k.Config.UploadMaxBytes,
				Nudge: k.Relay.Nudge, Logger: k.Log})
		}
		return files
	}
	catalogService := func(k *Kit) *catalog.Service {
		if catalogs == nil {
			catalogs = catalog.New(k.DB, k.Clock, catalog.Options{Nudge: k.Relay.Nudge, Shops: shops(k),
				Images: storageService(k), Cache: k.Cache, Log: k.Log})
		}
		return catalogs
	}
	inventoryService := func(k *Kit) *inventory.Service {
		if inventories == nil {
			inventories = inventory.New(k.DB, k.Clock, inventory.Options{Nudge: k.Relay.Nudge, Shops: shops(k),
				Catalog: catalogService(k)})
		}
		return inventories
	}
	printService := func(k *Kit) *printq.Service {
		if printers == nil {
			printers = printq.New(k.DB, shops(k), printq.Options{Nudge: k.Relay.Nudge, Clock: k.Clock, Logger: k.Log})
		}
		return printers
	}
	kitchenService := func(k *Kit) *kitchen.Service {
		if kitchens == nil {
			kitchens = kitchen.New(k.DB, k.Clock, kitchen.Options{Nudge: k.Relay.Nudge, Shops: shops(k),
				Printer: ticketPrinter{printService(k)}})
		}
		return kitchens
	}
	rateService := func(k *Kit) *timebill.Service {
		if rates == nil {
			rates = timebill.New(k.DB, k.Clock, shops(k))
		}
		return rates
	}
	orderService := func(k *Kit) *order.Service {
		if orders == nil {
			orders = order.New(k.DB, k.Clock, order.Options{Nudge: k.Relay.Nudge, Catalog: orderCatalog{catalogService(k)},
				Shops: shops(k), Kitchen: orderKitchen{kitchenService(k)}, Rates: rateService(k), Printer: ticketPrinter{printService(k)}, QR: qrPlaces{merchantService(k)},
				Audit: func(ctx context.Context, tx *sql.Tx, m tenant.ID, event, actor string, detail map[string]any) error {
					return accounts.iam.AuditInTx(ctx, tx, m, event, actor, detail)
				},
				Approver: voidApprover{accounts.iam}})
		}
		return orders
	}
	shiftService := func(k *Kit) *shift.Service {
		if shifts == nil {
			shifts = shift.New(k.DB, k.Clock, shops(k), k.Relay.Nudge)
		}
		return shifts
	}
	walletService := func(k *Kit) *wallet.Service {
		if wallets == nil {
			wallets = wallet.New(k.DB, k.Clock, wallet.Options{Shops: shops(k), Drawer: shiftService(k), Nudge: k.Relay.Nudge})
		}
		return wallets
	}
	paymentService := func(k *Kit) *payment.Service {
		if payments == nil {
			payments = payment.New(k.DB, k.Clock, payment.Deps{Orders: orderPayments{orderService(k)}, Drawer: shiftService(k),
				Wallets: walletService(k), Accounts: paymentAccounts{merchantService(k), bankWebhookKey(k)}, Tables: tableOrders{orderService(k)},
				Config: paymentConfig(k),
				Nudge:  k.Relay.Nudge})
		}
		return payments
	}
	reportService := func(k *Kit) *report.Service {
		if reports == nil {
			reports = report.New(k.DB, k.Clock, report.Options{Staff: reportStaff{accounts},
				Catalog: reportCatalog{catalogService(k)}, Shops: reportShops{merchantService(k)}})
		}
		return reports
	}
	bookingService := func(k *Kit) *booking.Service {
		if bookings == nil {
			bookings = booking.New(k.DB, k.Clock, booking.Options{Nudge: k.Relay.Nudge, Floor: bookingFloor{merchantService(k)},
				Orders: orderService(k)})
		}
		return bookings
	}
	// A shop transfer runs every module's step whichever modules this replica serves, so that the shop's
	// data always moves whole; the services are built on demand for it.
	transferSteps = func(k *Kit) []merchant.TransferStep {
		return []merchant.TransferStep{
			{Module: "order", Check: func(ctx context.Context, tx *sql.Tx, mv merchant.ShopMove) error {
				return orderService(k).CheckShopTransfer(ctx, tx, mv.ShopID, mv.From)
			}, Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return orderService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
			{Module: "payment", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return paymentService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
			{Module: "report", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return reportService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
			{Module: "shift", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return shiftService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
			{Module: "timebill", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return rateService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
			{Module: "booking", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return bookingService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To, mv.IDs)
			}},
			{Module: "catalog", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return catalogService(k).CopyForShopTransfer(ctx, tx, mv.ShopID, mv.From, mv.To, mv.IDs)
			}},
			{Module: "inventory", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return inventoryService(k).MoveShopStock(ctx, tx, mv.ShopID, mv.From, mv.To, mv.IDs)
			}},
			{Module: "kitchen", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return kitchenService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
			{Module: "printing", Move: func(ctx context.Context, tx *sql.Tx, mv *merchant.ShopMove) error {
				return printService(k).MoveShop(ctx, tx, mv.ShopID, mv.From, mv.To)
			}},
		}
	}
	shopChanged = func(k *Kit) func(ctx context.Context, shopID string, ms ...tenant.ID) {
		return func(ctx context.Context, shopID string, ms ...tenant.ID) {
			if err := catalogService(k).ShopChanged(ctx, shopID, ms...); err != nil {
				k.Log.Warn("menu cache not refreshed after a shop change", "shop_id", shopID, "error", err)
			}
		}
	}
	return []Module{
		{
			Name:       "iam",
			Migrations: []migrate.Source{iam.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				signing, err := secretbox.New(k.DeriveKey("iam-signing-keys"))
				if err != nil {
					return err
				}
				totp, err := secretbox.New(k.DeriveKey("iam-totp"))
				if err != nil {
					return err
				}
				svc, err := iam.New(iam.Deps{DB: k.DB, Merchants: merchantAccess{merchantService(k), k}, SigningKeys: signing,
					TOTPSecrets: totp, Clock: k.Clock, Log: k.Log, Config: iam.Config{PublicURL: k.Config.PublicURL}})
				if err != nil {
					return err
				}
				accounts.iam = svc
				k.Authenticate(svc.Authenticator())
				if !active {
					return nil
				}
				svc.Routes(k.API, k.Router.With(k.RateLimit(httpapi.ClassPublic)))
				for _, w := range svc.Workers() {
					k.Go(w.Name, w.Run)
				}
				return nil
			},
		},
		{
			Name:       "merchant",
			Requires:   []string{"iam"},
			Migrations: []migrate.Source{merchant.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				svc := merchantService(k)
				if active {
					svc.Routes(k.API)
					svc.QRCodeRoutes(k.API, k.Config.PublicURL)
					k.Router.With(k.RateLimit(httpapi.ClassRealtime)).Get("/api/v1/shops/{shop_id}/events", shopEvents(k, svc))
				}
				return nil
			},
		},
		{
			Name:       "report",
			Requires:   []string{"merchant", "catalog"},
			Migrations: []migrate.Source{report.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				if active {
					svc := reportService(k)
					svc.Routes(k.API)
					subscribe(k, "report", report.Subjects, events.Consume(k.DB, "report", svc.HandleEvent))
				}
				return nil
			},
		},
		{
			Name:       "storage",
			Migrations: []migrate.Source{storage.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				svc := storageService(k)
				if active {
					svc.Routes(k.API)
					k.Go("storage-sweep", every(10*time.Minute, func(ctx context.Context) error {
						_, err := svc.Sweep(ctx, 100)
						return err
					}, k.Log))
				}
				return nil
			},
		},
		{
			Name:       "catalog",
			Requires:   []string{"merchant", "storage"},
			Migrations: []migrate.Source{catalog.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				if active {
					catalogService(k).Routes(k.API)
				}
				return nil
			},
		},
		{
			Name:       "inventory",
			Requires:   []string{"merchant", "catalog"},
			Migrations: []migrate.Source{inventory.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				svc := inventoryService(k)
				if !active {
					return nil
				}
				svc.Routes(k.API)
				subscribe(k, "inventory", []string{inventory.OrderSubject}, events.Consume(k.DB, "inventory", svc.HandleOrderEvent))
				return nil
			},
		},
		{
			Name:       "order",
			Requires:   []string{"merchant", "catalog", "kitchen"},
			Migrations: []migrate.Source{order.Migrations, timebill.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				if active {
					orderService(k).Routes(k.API)
					rateService(k).Routes(k.API)
					subscribe(k, "order", []string{order.KitchenSubject}, events.Consume(k.DB, "order", orderService(k).HandleKitchenEvent))
				}
				return nil
			},
		},
		{
			Name:       "payment",
			Requires:   []string{"order"},
			Migrations: []migrate.Source{payment.Migrations, shift.Migrations, wallet.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				if active {
					paymentService(k).Routes(k.API)
					shiftService(k).Routes(k.API)
					walletService(k).Routes(k.API)
					if simulatorsOn(k.Config) {
						mountSimulators(k)
					}
					k.Go("payment-reconcile", every(time.Minute, func(ctx context.Context) error {
						_, err := paymentService(k).Reconcile(ctx)
						return err
					}, k.Log))
				}
				return nil
			},
		},
		{
			Name:       "booking",
			Requires:   []string{"merchant", "order"},
			Migrations: []migrate.Source{booking.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				if active {
					bookingService(k).Routes(k.API)
				}
				return nil
			},
		},
		{
			Name:       "kitchen",
			Requires:   []string{"merchant"},
			Migrations: []migrate.Source{kitchen.Migrations, printq.Migrations},
			Init: func(ctx context.Context, k *Kit, active bool) error {
				if active {
					kitchenService(k).Routes(k.API)
					printService(k).Routes(k.API)
					k.Go("print-queue", printService(k).Worker())
				}
				return nil
			},
		},
	}
}

// subscribe runs a durable consumer of the bus as one of the app's workers.
func subscribe(k *Kit, consumer string, subjects []string, h events.Handler) {
	k.Go(consumer+"-consumer", func(ctx context.Context) error {
		sub, err := k.Bus.Subscribe(ctx, consumer, subjects, h)
		if err != nil {
			return err
		}
		<-ctx.Done()
		return sub.Close()
	})
}

// every runs fn at each interval until ctx ends; a failed run is logged and the next one comes anyway.
func every(interval time.Duration, fn func(context.Context) error, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					log.Warn("periodic job failed", "error", err)
				}
			}
		}
	}
}

// shopDirectory gives the other modules the merchant module's shops, in the shapes they declare.
type shopDirectory struct{ svc *merchant.Service }

// CheckShop is nil for a live shop of m (inventory, kitchen).
func (d shopDirectory) CheckShop(ctx context.Context, m tenant.ID, shopID string) error {
	_, err := d.svc.LiveShop(ctx, m, shopID)
	return err
}

// CheckTerminal checks that deviceID is a registered terminal of a live shop of m (shifts bound to a terminal).
func (d shopDirectory) CheckTerminal(ctx context.Context, m tenant.ID, shopID, deviceID string) error {
	devices, err := d.svc.Devices(ctx, m, shopID)
	if err != nil {
		return err
	}
	for _, dv := range devices {
		if dv.ID == deviceID {
			return nil
		}
	}
	return apperr.E(apperr.NotFound, "no such registered terminal in this shop")
}

// Shop resolves a live shop of m for the catalog.
func (d shopDirectory) Shop(ctx context.Context, m tenant.ID, shopID string) (catalog.ShopRef, error) {
	sh, err := d.svc.LiveShop(ctx, m, shopID)
	if err != nil {
		return catalog.ShopRef{}, err
	}
	return catalog.ShopRef{ID: sh.ID, MerchantID: m, Name: sh.Name}, nil
}

// PublicShop resolves a live shop by id alone for the public menu.
func (d shopDirectory) PublicShop(ctx context.Context, shopID string) (catalog.ShopRef, error) {
	m, sh, err := d.svc.PublicShop(ctx, shopID)
	if err != nil {
		return catalog.ShopRef{}, err
	}
	return catalog.ShopRef{ID: sh.ID, MerchantID: m, Name: sh.Name}, nil
}

// Terms gives the order module a live shop's pricing terms.
func (d shopDirectory) Terms(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string) (order.Terms, error) {
	sh, err := d.svc.LiveShopIn(ctx, tx, m, shopID)
	if err != nil {
		return order.Terms{}, err
	}
	return order.Terms{VATRatePercent: sh.VATRatePercent, PricesIncludeVAT: sh.PricesIncludeVAT,
		ServiceChargePercent: sh.ServiceChargePercent, SeveralOrdersPerTable: sh.SeveralOrdersPerTable,
		VoidApprovalThreshold: sh.VoidApprovalThreshold}, nil
}

// voidApprover checks a manager's PIN typed on a cashier's terminal to approve a void above the threshold.
type voidApprover struct{ iam *iam.Service }

func (v voidApprover) ApproveVoid(ctx context.Context, m tenant.ID, shopID, staffID, pin string) (string, error) {
	c := iam.Client{}
	if ip, ok := httpapi.ClientIP(ctx); ok && ip.IsValid() {
		c.IP = ip.String()
	}
	a, err := v.iam.ApprovePIN(ctx, shopID, staffID, pin, "order.void", c)
	if err != nil {
		return "", err
	}
	if a.MerchantID != m || !rbac.Allows(a.Roles, rbac.OrderVoidApprove) {
		return "", apperr.E(apperr.Forbidden, "this staff member cannot approve voids in this shop")
	}
	return a.UserID, nil
}

// Place gives the order module a live table or room of the shop.
func (d shopDirectory) Place(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, tableID, roomID string) (order.Place, error) {
	f, err := d.svc.FloorIn(ctx, tx, m, shopID)
	if err != nil {
		return order.Place{}, err
	}
	for _, a := range f.Areas {
		for _, t := range a.Tables {
			if tableID != "" && t.ID == tableID {
				return order.Place{Name: t.Name}, nil
			}
		}
	}
	for _, r := range f.Rooms {
		if roomID != "" && r.ID == roomID {
			return order.Place{Name: r.Name, RoomType: r.RoomType}, nil
		}
	}
	return order.Place{}, apperr.E(apperr.NotFound, "no such table or room")
}

// bookingFloor gives the booking module the live tables and rooms of a live shop.
type bookingFloor struct{ svc *merchant.Service }

func (f bookingFloor) Resources(ctx context.Context, m tenant.ID, shopID string) ([]booking.Resource, error) {
	if _, err := f.svc.LiveShop(ctx, m, shopID); err != nil {
		return nil, err
	}
	fl, err := f.svc.Floor(ctx, m, shopID)
	if err != nil {
		return nil, err
	}
	var out []booking.Resource
	for _, a := range fl.Areas {
		for _, t := range a.Tables {
			out = append(out, booking.Resource{ID: t.ID, Kind: booking.KindTable, Name: t.Name, AreaID: t.AreaID, Seats: t.Seats})
		}
	}
	for _, r := range fl.Rooms {
		out = append(out, booking.Resource{ID: r.ID, Kind: booking.KindRoom, Name: r.Name, RoomType: r.RoomType, Capacity: r.Capacity})
	}
	return out, nil
}

func (f bookingFloor) Resource(ctx context.Context, m tenant.ID, shopID, tableID, roomID string) (booking.Resource, error) {
	all, err := f.Resources(ctx, m, shopID)
	if err != nil {
		return booking.Resource{}, err
	}
	for _, r := range all {
		if (tableID != "" && r.Kind == booking.KindTable && r.ID == tableID) || (roomID != "" && r.Kind == booking.KindRoom && r.ID == roomID) {
			return r, nil
		}
	}
	return booking.Resource{}, apperr.E(apperr.NotFound, "no such table or room")
}

// ticketPrinter queues kitchen tickets for their station's printer.
type ticketPrinter struct{ svc *printq.Service }

func (p ticketPrinter) PrintTicket(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, station string, doc escpos.Document, ref string) error {
	_, err := p.svc.Enqueue(ctx, tx, m, printq.JobInput{ShopID: shopID, Kind: printq.Kitchen, Station: station, Document: doc,
		Reference: ref})
	return err
}

// PrintReceipt queues a receipt for the shop's receipt printer.
func (p ticketPrinter) PrintReceipt(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string, doc escpos.Document, ref string) (string, error) {
	job, err := p.svc.Enqueue(ctx, tx, m, printq.JobInput{ShopID: shopID, Kind: printq.Receipt, Document: doc, Reference: ref})
	return job.ID, err
}

// Receipt gives the order module what receipts print about the shop.
func (d shopDirectory) Receipt(ctx context.Context, m tenant.ID, shopID string) (order.ReceiptInfo, error) {
	sh, err := d.svc.Shop(ctx, m, shopID)
	if err != nil {
		return order.ReceiptInfo{}, err
	}
	return order.ReceiptInfo{Name: sh.Name, Address: sh.Address, Header: sh.ReceiptHeader, Footer: sh.ReceiptFooter}, nil
}

// qrPlaces resolves tables' QR tokens for customers' orders.
type qrPlaces struct{ svc *merchant.Service }

func (q qrPlaces) ResolveQR(ctx context.Context, token string) (order.QRPlace, error) {
	ref, err := q.svc.ResolveQRToken(ctx, token)
	if err != nil {
		return order.QRPlace{}, err
	}
	sh, err := q.svc.LiveShop(ctx, ref.MerchantID, ref.ShopID)
	if err != nil {
		return order.QRPlace{}, err
	}
	return order.QRPlace{MerchantID: ref.MerchantID, ShopID: ref.ShopID, TableID: ref.TableID, RoomID: ref.RoomID,
		NeedsConfirmation: sh.QROrdersNeedConfirmation, SharedTable: sh.SeveralOrdersPerTable}, nil
}

// orderPayments applies the payment module's payments to orders.
type orderPayments struct{ svc *order.Service }

func (o orderPayments) ApplyPayment(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID, method string, amount money.VND,
	actor string, allow func(string) error) (payment.OrderState, error) {
	ord, err := o.svc.ApplyPayment(ctx, tx, m, orderID, order.AppliedPayment{ID: paymentID, Method: method, Amount: amount},
		order.Change{Actor: actor, Allow: allow})
	if err != nil {
		return payment.OrderState{}, err
	}
	return payment.OrderState{ID: ord.ID, ShopID: ord.ShopID, Status: string(ord.Status), AmountDue: ord.Totals.AmountDue, Order: ord}, nil
}

// orderCatalog prices order lines with the catalog.
type orderCatalog struct{ svc *catalog.Service }

func (c orderCatalog) PriceLines(ctx context.Context, m tenant.ID, shopID string, lines []order.LineRequest) ([]order.PricedLine, error) {
	req := make([]catalog.LineRequest, len(lines))
	for i, l := range lines {
		req[i] = catalog.LineRequest{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, ModifierOptionIDs: l.ModifierOptionIDs}
	}
	priced, err := c.svc.PriceLines(ctx, m, shopID, req)
	if err != nil {
		return nil, err
	}
	out := make([]order.PricedLine, len(priced))
	for i, p := range priced {
		out[i] = order.PricedLine{ProductID: p.ProductID, VariantID: p.VariantID, Name: p.Name, VariantName: p.VariantName,
			CategoryID: p.CategoryID, Station: p.Station, TaxClass: p.TaxClass, UnitPrice: p.UnitPrice}
		for _, mod := range p.Modifiers {
			out[i].Modifiers = append(out[i].Modifiers, order.LineModifier{OptionID: mod.OptionID, Group: mod.GroupName,
				Name: mod.Name, PriceDelta: mod.PriceDelta})
		}
		for _, c := range p.Components {
			out[i].Components = append(out[i].Components, order.ComboComponent{ProductID: c.ProductID, Name: c.Name,
				Station: c.Station, Quantity: c.Quantity})
		}
	}
	return out, nil
}

// orderKitchen sends order lines to the kitchen inside the order's transaction.
type orderKitchen struct{ svc *kitchen.Service }

func (k orderKitchen) CreateTickets(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, orderID, label string, lines []order.TicketLine) ([]order.SentTicket, error) {
	b := kitchen.Batch{ShopID: shopID, OrderID: orderID, Label: label}
	for _, l := range lines {
		b.Lines = append(b.Lines, kitchen.BatchLine{Station: l.Station, Void: l.Void, TicketLine: kitchen.TicketLine{
			OrderLineID: l.OrderLineID, Name: l.Name, Quantity: l.Quantity, Modifiers: l.Modifiers, Note: l.Note, Seat: l.Seat, Course: l.Course}})
	}
	tickets, err := k.svc.CreateTickets(ctx, tx, m, b)
	if err != nil {
		return nil, err
	}
	out := make([]order.SentTicket, len(tickets))
	for i, t := range tickets {
		out[i] = order.SentTicket{ID: t.ID, Station: t.Station, Kind: string(t.Kind), Status: string(t.Status)}
		for _, l := range t.Lines {
			out[i].Lines = append(out[i].Lines, order.SentTicketLine{OrderLineID: l.OrderLineID, Name: l.Name, Quantity: l.Quantity,
				Modifiers: l.Modifiers, Note: l.Note})
		}
	}
	return out, nil
}

// ShopIDs lists m's live shops.
func (d shopDirectory) ShopIDs(ctx context.Context, m tenant.ID) ([]string, error) {
	return d.svc.LiveShopIDs(ctx, m)
}

// shopEvents serves a shop's realtime stream (SSE) to staff who may read the shop: the caller must reach the
// shop and the shop must be its merchant's (another merchant's shop is 404, like everywhere).
func shopEvents(k *Kit, shops *merchant.Service) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		shopID := chi.URLParam(r, "shop_id")
		p, _ := httpapi.PrincipalFrom(r.Context())
		if err := rbac.CheckShop(p, shopID, rbac.ShopRead); err != nil {
			httpapi.WriteProblem(w, r, err)
			return
		}
		if _, err := shops.Shop(r.Context(), p.MerchantID, shopID); err != nil {
			httpapi.WriteProblem(w, r, err)
			return
		}
		k.Hub.ServeShop(w, r, shopID)
	}
}

// staffAccounts gives the merchant module the identity module's staff accounts.
type staffAccounts struct{ iam *iam.Service }

// PrepareStaffAccount validates and hashes outside the transaction, and returns the insert to run in it.
func (a *staffAccounts) PrepareStaffAccount(ctx context.Context, in merchant.StaffAccount) (func(context.Context, *sql.Tx, tenant.ID) (string, error), error) {
	p, err := a.iam.PrepareStaffAccount(ctx, iam.StaffAccountInput{FullName: in.FullName, Email: in.Email, Phone: in.Phone, PIN: in.PIN})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx *sql.Tx, m tenant.ID) (string, error) {
		return a.iam.InsertStaffAccount(ctx, tx, m, p)
	}, nil
}

// Profiles gives the merchant module the names of its staff.
func (a *staffAccounts) Profiles(ctx context.Context, ids []string) (map[string]merchant.StaffProfile, error) {
	ps, err := a.iam.Profiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]merchant.StaffProfile, len(ps))
	for id, p := range ps {
		out[id] = merchant.StaffProfile{FullName: p.FullName, Email: p.Email, Phone: p.Phone, HasPIN: p.HasPIN}
	}
	return out, nil
}

// audit writes the merchant module's security events to iam's audit log, in the merchant module's
// transaction.
func (a *staffAccounts) audit(ctx context.Context, tx *sql.Tx, m tenant.ID, r merchant.AuditRecord) error {
	return a.iam.AuditInTx(ctx, tx, m, r.Event, r.Actor, r.Detail)
}

// merchantAccess gives iam what it needs of the merchant module.
type merchantAccess struct {
	svc *merchant.Service
	k   *Kit
}

// CreateMerchant creates the merchant of a sign-up inside iam's transaction.
func (a merchantAccess) CreateMerchant(ctx context.Context, tx *sql.Tx, id tenant.ID, name, owner string) (iam.MerchantInfo, error) {
	m, err := a.svc.CreateMerchantInTx(ctx, tx, id, merchant.MerchantInput{Name: name, OwnerUserID: owner})
	if err != nil {
		return iam.MerchantInfo{}, err
	}
	return a.info(m), nil
}

// Access returns the merchant a user acts for and its roles there. A user who belongs to several merchants
// acts for the one it owns, else the first by merchant id; choosing among them in the app comes later.
func (a merchantAccess) Access(ctx context.Context, userID string) (iam.Access, error) {
	ms, err := a.svc.MembershipsOf(ctx, userID)
	if err != nil {
		return iam.Access{}, err
	}
	all := merchant.RolesByMerchant(ms)
	if len(all) == 0 {
		return iam.Access{}, apperr.E(apperr.NotFound, "no merchant")
	}
	pick := all[0]
	for _, r := range all {
		if slices.Contains(r.Roles, "owner") {
			pick = r
			break
		}
	}
	access := iam.Access{MerchantID: pick.MerchantID, Roles: pick.Roles, ShopRoles: pick.ShopRoles}
	if m, err := a.svc.Merchant(ctx, pick.MerchantID); err == nil {
		info := a.info(m)
		access.Merchant = &info
	}
	return access, nil
}

func (a merchantAccess) info(m merchant.Merchant) iam.MerchantInfo {
	info := iam.MerchantInfo{ID: m.ID, Name: m.Name, Plan: m.EffectivePlanID(a.k.Clock.Now())}
	if m.TrialEndsAt != nil && m.OnTrial(a.k.Clock.Now()) {
		info.TrialEndsAt = *m.TrialEndsAt
	}
	return info
}

// CheckDevice tells PIN sign-in whether the shop accepts the terminal.
func (a merchantAccess) CheckDevice(ctx context.Context, shopID, secret string) (string, error) {
	return a.svc.CheckDevice(ctx, shopID, secret)
}
