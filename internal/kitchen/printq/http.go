package printq

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the printer and print-job operations on api. Every operation declares its permission;
// rbac.Guard checks it (and that the {shop_id} is reachable), and the service checks that the shop belongs
// to the caller's merchant (404 otherwise).
func (s *Service) Routes(api huma.API) {
	s.printerRoutes(api)
	s.jobRoutes(api)
}

func op(id, method, path, summary string, perm rbac.Permission, status int) huma.Operation {
	return rbac.Operation(id, method, path, summary, []string{"Printing"}, perm, status)
}

// ---- printers ----

type printerShopPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
}

type printerPath struct {
	ShopID    string `path:"shop_id" maxLength:"64"`
	PrinterID string `path:"printer_id" maxLength:"64"`
}

// PrinterCreateBody is the body of POST /shops/{shop_id}/printers.
type PrinterCreateBody struct {
	Name         string `json:"name" minLength:"1" maxLength:"100"`
	Kind         Kind   `json:"kind" enum:"kitchen,receipt"`
	Station      string `json:"station,omitempty" maxLength:"50" doc:"Required for kitchen printers: the station whose tickets it prints (kitchen, bar, grill …)."`
	Address      string `json:"address" minLength:"3" maxLength:"255" doc:"host:port, e.g. 192.168.1.50:9100."`
	PaperWidthMM int    `json:"paper_width_mm,omitempty" enum:"58,80" doc:"80 unless given."`
	Enabled      *bool  `json:"enabled,omitempty" doc:"true unless given."`
}

// PrinterPatchBody is the body of PATCH /shops/{shop_id}/printers/{printer_id}.
type PrinterPatchBody struct {
	Name         *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Kind         *Kind   `json:"kind,omitempty" enum:"kitchen,receipt"`
	Station      *string `json:"station,omitempty" maxLength:"50"`
	Address      *string `json:"address,omitempty" minLength:"3" maxLength:"255"`
	PaperWidthMM *int    `json:"paper_width_mm,omitempty" enum:"58,80"`
	Enabled      *bool   `json:"enabled,omitempty"`
}

type createPrinterInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   PrinterCreateBody
}

type updatePrinterInput struct {
	ShopID    string `path:"shop_id" maxLength:"64"`
	PrinterID string `path:"printer_id" maxLength:"64"`
	Body      PrinterPatchBody
}

type printerOutput struct{ Body Printer }

type printerListOutput struct {
	Body struct {
		Items []Printer `json:"items"`
	}
}

func (s *Service) printerRoutes(api huma.API) {
	huma.Register(api, op("create-printer", http.MethodPost, "/api/v1/shops/{shop_id}/printers",
		"Add a network printer (ESC/POS over TCP) to the shop", rbac.ShopManage, http.StatusCreated),
		func(ctx context.Context, in *createPrinterInput) (*printerOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			p, err := s.CreatePrinter(ctx, m, in.ShopID, PrinterInput{Name: b.Name, Kind: b.Kind, Station: b.Station,
				Address: b.Address, PaperWidthMM: b.PaperWidthMM, Enabled: b.Enabled})
			return &printerOutput{Body: p}, apperr.Located(err, "body")
		})
	huma.Register(api, op("list-printers", http.MethodGet, "/api/v1/shops/{shop_id}/printers",
		"The shop's printers", rbac.ShopRead, 0),
		func(ctx context.Context, in *printerShopPath) (*printerListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out := &printerListOutput{}
			out.Body.Items, err = s.Printers(ctx, m, in.ShopID)
			return out, err
		})
	huma.Register(api, op("get-printer", http.MethodGet, "/api/v1/shops/{shop_id}/printers/{printer_id}",
		"One printer of the shop", rbac.ShopRead, 0),
		func(ctx context.Context, in *printerPath) (*printerOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			p, err := s.Printer(ctx, m, in.ShopID, in.PrinterID)
			return &printerOutput{Body: p}, err
		})
	huma.Register(api, op("update-printer", http.MethodPatch, "/api/v1/shops/{shop_id}/printers/{printer_id}",
		"Change a printer; queued jobs follow the change", rbac.ShopManage, 0),
		func(ctx context.Context, in *updatePrinterInput) (*printerOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			p, err := s.UpdatePrinter(ctx, m, in.ShopID, in.PrinterID, PrinterPatch{Name: b.Name, Kind: b.Kind,
				Station: b.Station, Address: b.Address, PaperWidthMM: b.PaperWidthMM, Enabled: b.Enabled})
			return &printerOutput{Body: p}, apperr.Located(err, "body")
		})
	huma.Register(api, op("delete-printer", http.MethodDelete, "/api/v1/shops/{shop_id}/printers/{printer_id}",
		"Remove a printer; its queued jobs go to another printer of the same kind and station, if any",
		rbac.ShopManage, http.StatusNoContent),
		func(ctx context.Context, in *printerPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeletePrinter(ctx, m, in.ShopID, in.PrinterID)
		})
}

// ---- jobs ----

type listJobsInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Status Status `query:"status" enum:"pending,printing,printed,failed,expired,no_printer" doc:"Only jobs with this status."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type jobPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	JobID  string `path:"job_id" maxLength:"64"`
}

type jobOutput struct{ Body PrintJob }

type jobPageOutput struct{ Body PrintJobPage }

func (s *Service) jobRoutes(api huma.API) {
	huma.Register(api, op("list-print-jobs", http.MethodGet, "/api/v1/shops/{shop_id}/print-jobs",
		"The shop's print jobs, newest first, with their status", rbac.ShopRead, 0),
		func(ctx context.Context, in *listJobsInput) (*jobPageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.Jobs(ctx, m, in.ShopID, in.Status, in.Limit, in.Cursor)
			return &jobPageOutput{Body: page}, apperr.Located(err, "query")
		})
	huma.Register(api, op("get-print-job", http.MethodGet, "/api/v1/shops/{shop_id}/print-jobs/{job_id}",
		"One print job and its status", rbac.ShopRead, 0),
		func(ctx context.Context, in *jobPath) (*jobOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			j, err := s.Job(ctx, m, in.ShopID, in.JobID)
			return &jobOutput{Body: j}, err
		})
	huma.Register(api, op("reprint-print-job", http.MethodPost, "/api/v1/shops/{shop_id}/print-jobs/{job_id}/reprint",
		"Print a job again (a new job with the same document)", rbac.ShopRead, http.StatusCreated),
		func(ctx context.Context, in *jobPath) (*jobOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			j, err := s.Reprint(ctx, m, in.ShopID, in.JobID)
			return &jobOutput{Body: j}, err
		})
}
