package escpos

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"

	"github.com/skip2/go-qrcode"
	"golang.org/x/text/unicode/norm"
)

// htmlPage lays a document out for a browser's print dialog on 80 mm roll paper (or a screen preview):
// the same blocks as the raster, in the browser's fonts. Text is escaped by html/template.
var htmlPage = template.Must(template.New("receipt").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
@page { size: 80mm auto; margin: 0 }
body { width: 72mm; margin: 0 auto; padding: 4mm 0; font: 12px/1.35 "Liberation Sans", Arial, sans-serif; color: #000 }
p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere }
.b { font-weight: bold } .l { font-size: 20px } .center { text-align: center } .right { text-align: right }
.row { display: flex; align-items: baseline; gap: 4px }
.row .name { flex: 1 1 auto; overflow-wrap: anywhere } .row .dots { flex: 1 1 0; border-bottom: 1px dotted #000 }
.row .amount { white-space: nowrap }
hr { border: 0; border-top: 1px dashed #000; margin: 4px 0 }
.qr { display: block; margin: 8px auto; width: 48mm; height: 48mm; image-rendering: pixelated }
.cut { border-top: 1px dashed #999; margin: 6mm 0; page-break-after: always }
@media print { .cut { border: 0; margin: 0 } }
</style></head><body>
{{range .Blocks}}{{if eq .Kind "text"}}<p class="{{.Class}}">{{.Text}}</p>
{{else if eq .Kind "row"}}<div class="row {{.Class}}"><span class="name">{{.Text}}</span>{{if .Right}}<span class="dots"></span><span class="amount">{{.Right}}</span>{{end}}</div>
{{else if eq .Kind "separator"}}<hr>
{{else if eq .Kind "qr"}}<img class="qr" alt="QR" src="{{.QR}}">
{{else if eq .Kind "feed"}}{{range .Feed}}<p>&nbsp;</p>{{end}}
{{else if eq .Kind "cut"}}<div class="cut"></div>
{{end}}{{end}}</body></html>
`))

type htmlBlock struct {
	Block
	Class string
	QR    template.URL
	Feed  []struct{} // one element per blank line
}

// HTML returns d as a printable HTML page (80 mm print CSS), titled title, for printing from a browser
// and for previews. It returns an error for an invalid document.
func HTML(d Document, title string) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("receipt HTML: %w", err)
	}
	blocks := make([]htmlBlock, len(d.Blocks))
	for i, b := range d.Blocks {
		b.Text, b.Right = norm.NFC.String(b.Text), norm.NFC.String(b.Right)
		hb := htmlBlock{Block: b}
		if b.Bold {
			hb.Class += " b"
		}
		if b.Large {
			hb.Class += " l"
		}
		if b.Align == Center || b.Align == Right {
			hb.Class += " " + string(b.Align)
		}
		if b.Kind == KindFeed {
			hb.Feed = make([]struct{}, b.Lines)
		}
		if b.Kind == KindQR {
			png, err := qrcode.Encode(b.Text, qrcode.Medium, 256)
			if err != nil {
				return nil, fmt.Errorf("receipt HTML: QR code: %w", err)
			}
			// A data: URL of our own PNG; template.URL keeps html/template from replacing it.
			hb.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		}
		blocks[i] = hb
	}
	var buf bytes.Buffer
	if err := htmlPage.Execute(&buf, struct {
		Title  string
		Blocks []htmlBlock
	}{title, blocks}); err != nil {
		return nil, fmt.Errorf("receipt HTML: %w", err)
	}
	return buf.Bytes(), nil
}
