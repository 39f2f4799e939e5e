package api

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// respond writes v with status, or err.
func respond[T any](c *gin.Context, status int, v *T, err error) {
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(status, v)
}

// nonNil returns s, or an empty slice for nil, so lists are [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Cursor prefixes of lists ordered by a string key.
const (
	gridCursor       = "g1:"
	enterpriseCursor = "e1:"
)

// stringPage is page for lists ordered by a string key (asked for with limit+1).
func stringPage[T any](items []T, limit int, prefix string, key func(T) string) gridwarn.Page[T] {
	p := gridwarn.Page[T]{Items: nonNil(items)}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(prefix + key(items[limit-1])))
	}
	return p
}

// decodeStringCursor returns the key in a cursor made by stringPage.
func decodeStringCursor(q *query, prefix, s string) string {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	key, ok := strings.CutPrefix(string(b), prefix)
	if err != nil || !ok || key == "" || len(key) > 64 || strings.ContainsAny(key, "\x00") {
		q.fail("cursor", "cursor", "is not a cursor of this list")
		return ""
	}
	return key
}

// readBody reads a whole request body of the given media type, at most max bytes.
func readBody(c *gin.Context, max int64, mediaType string) (io.Reader, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != mediaType {
		return nil, gridwarn.Errorf(eUnsupportedMediaType, "the request body must be %s", mediaType)
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, max))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, gridwarn.Errorf(gridwarn.ETOOLARGE, "the request body exceeds %d bytes", max)
	case err != nil:
		return nil, bodyInvalid("the body could not be read")
	}
	return bytes.NewReader(data), nil
}
