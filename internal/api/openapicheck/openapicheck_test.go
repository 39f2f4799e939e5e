package openapicheck

import (
	_ "embed"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

//go:embed testdata/mini.yaml
var mini []byte

// answer is what the stand-in server answers.
type answer struct {
	status int
	ctype  string
	etag   string
	body   string
}

// TestTransport sends each exchange through the checking Transport to a
// server that answers as told, and wants a difference exactly where the
// answer or the accepted request is not what the document says.
func TestTransport(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, auth, reqBody string
		answer                            answer
		want                              string // a part of the difference; "" for none
	}{
		{"ok", "GET", "/api/v1/things/7?full=true", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":7,"state":"open"}`}, ""},
		{"value outside the enum", "GET", "/api/v1/things/7", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":7,"state":"met"}`}, "/state"},
		{"missing required property", "GET", "/api/v1/things/7", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":7}`}, "missing property 'state'"},
		{"undocumented status", "GET", "/api/v1/things/7", "Bearer x", "",
			answer{409, "application/problem+json", "", `{}`}, "status 409 is not documented"},
		{"undocumented content type", "GET", "/api/v1/things/7", "Bearer x", "",
			answer{200, "text/html", `"1"`, `<p>`}, `Content-Type "text/html"`},
		{"required header missing", "GET", "/api/v1/things/7", "Bearer x", "",
			answer{200, "application/json", "", `{"id":7,"state":"open"}`}, "header ETag"},
		{"bad path parameter accepted", "GET", "/api/v1/things/0", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":0,"state":"open"}`}, `path parameter "id"`},
		{"bad path parameter refused", "GET", "/api/v1/things/0", "Bearer x", "",
			answer{404, "application/problem+json", "", `{}`}, ""},
		{"bad query value accepted", "GET", "/api/v1/things/7?full=maybe", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":7,"state":"open"}`}, `query parameter "full"`},
		{"empty query value is absent", "GET", "/api/v1/things/7?full=", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":7,"state":"open"}`}, ""},
		{"unknown query parameter accepted", "GET", "/api/v1/things/7?x=1", "Bearer x", "",
			answer{200, "application/json", `"1"`, `{"id":7,"state":"open"}`}, `"x" is not documented`},
		{"no credentials accepted", "GET", "/api/v1/things/7", "", "",
			answer{200, "application/json", `"1"`, `{"id":7,"state":"open"}`}, "no Authorization"},
		{"public route without credentials", "GET", "/healthz", "", "",
			answer{200, "text/plain; charset=utf-8", "", "ok"}, ""},
		{"invalid body accepted", "POST", "/api/v1/things", "Bearer x", `{"name":"toolong"}`,
			answer{201, "", "", ""}, "request body"},
		{"invalid body refused", "POST", "/api/v1/things", "Bearer x", `{"name":"toolong"}`,
			answer{400, "application/problem+json", "", `{}`}, ""},
		{"body where none is documented", "POST", "/api/v1/things", "Bearer x", `{"name":"a"}`,
			answer{201, "application/json", "", `{}`}, "documented without a body"},
		{"unknown API path answered", "GET", "/api/v1/other", "Bearer x", "",
			answer{200, "application/json", "", `{}`}, "not in openapi.yaml"},
		{"unknown API path not found", "GET", "/api/v1/other", "Bearer x", "",
			answer{404, "application/json", "", `{}`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				if tc.answer.ctype != "" {
					w.Header().Set("Content-Type", tc.answer.ctype)
				}
				if tc.answer.etag != "" {
					w.Header().Set("ETag", tc.answer.etag)
				}
				w.WriteHeader(tc.answer.status)
				_, _ = io.WriteString(w, tc.answer.body)
			}))
			defer srv.Close()
			doc, err := Load(mini)
			if err != nil {
				t.Fatal(err)
			}
			tr := &Transport{Doc: doc}
			var body io.Reader
			if tc.reqBody != "" {
				body = strings.NewReader(tc.reqBody)
			}
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if string(got) != tc.answer.body {
				t.Errorf("the client read %q, want the server's %q", got, tc.answer.body)
			}
			err = tr.Verdict()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected difference: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("no difference found, want one about %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("difference %v\ndoes not mention %q", err, tc.want)
			}
			if tr.Checked() != 1 {
				t.Errorf("checked %d exchanges, want 1", tr.Checked())
			}
		})
	}
}

// TestLoadRejectsBrokenDocument: a document that does not parse is an
// error at load, not a silent pass.
func TestLoadRejectsBrokenDocument(t *testing.T) {
	if _, err := Load([]byte("openapi: [")); err == nil {
		t.Fatal("a broken document loaded")
	}
}
