package licet

import (
	"context"
	"time"
)

// CodeCatalogInUse refuses a catalog version that removes an SKU or a service plan that is
// bought, assigned or disabled somewhere; the details name each and how many hold it.
const CodeCatalogInUse = "CatalogInUse"

// CatalogVersion is one stored version of the SKU catalog. The newest version is the catalog in
// force: every replica serves it.
type CatalogVersion struct {
	Version   int64     `json:"version"`
	Name      string    `json:"name"`     // the catalog's own name
	Hash      string    `json:"hash"`     // SHA-256 of the content, hex
	FileName  string    `json:"fileName"` // the file it was applied from, when known
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// CatalogUpload is a catalog to apply: its YAML content and the name of its file.
type CatalogUpload struct {
	FileName string `json:"fileName"`
	Content  string `json:"content"`
}

// CatalogService stores the versions of the SKU catalog.
type CatalogService interface {
	// ApplyCatalog validates the catalog and stores it as a new version; applied is false when it
	// is the newest version already (nothing is stored). Errors: EForbidden (not the operator),
	// EInvalid (the catalog does not validate), ETooLarge, CodeCatalogInUse (it removes an SKU or
	// plan that is held), EConflict (another version was applied at the same time).
	ApplyCatalog(ctx context.Context, c CatalogUpload) (v CatalogVersion, applied bool, err error)
	// CatalogVersions lists the versions, newest first.
	CatalogVersions(ctx context.Context) ([]CatalogVersion, error)
}
