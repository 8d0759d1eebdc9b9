package httpapi

import "github.com/danielgtaylor/huma/v2"

const metaPublic = "access.public"

// MarkPublic declares that op is open to anonymous callers, and why ("login", "public menu", "payment
// provider callback", …). The authorizer lets such operations through; every other operation needs a
// permission. The API description routes (/openapi.json and its variants) are marked by New itself.
func MarkPublic(op *huma.Operation, reason string) {
	if reason == "" {
		panic("httpapi: a public operation needs a reason")
	}
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaPublic] = reason
}

// PublicReason returns why op is public, or "" when it is not.
func PublicReason(op *huma.Operation) string {
	reason, _ := op.Metadata[metaPublic].(string)
	return reason
}

// isSpecRoute reports whether op is one of huma's own routes serving the API description: they have no
// operation id and sit at the configured OpenAPI path.
func isSpecRoute(op *huma.Operation, openAPIPath string) bool {
	if op.OperationID != "" || openAPIPath == "" {
		return false
	}
	switch op.Path {
	case openAPIPath + ".json", openAPIPath + "-3.0.json", openAPIPath + ".yaml", openAPIPath + "-3.0.yaml":
		return true
	}
	return false
}
