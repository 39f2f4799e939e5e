package app_test

import (
	"os"
	"testing"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/api/openapicheck"
)

// TestMain holds every request these tests send to the API, and every
// answer, to openapi.yaml: the suite fails when the running application
// and its document part ways (openapicheck).
func TestMain(m *testing.M) {
	os.Exit(openapicheck.Run(m, api.OpenAPI()))
}
