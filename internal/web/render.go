package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// page is one parsed page: the layout, the shared partials and the page's
// own file, with the functions of one language.
type page = template.Template

// view is what every template receives.
type view struct {
	Lang  string
	Me    *gridwarn.Principal
	CSRF  string
	Path  string // the request URI, for the language switch
	Title string // the page title's catalogue key
	Flash *flash
	Data  any
}

// Can reports whether the signed-in person may take an action (an
// authz.Action name), to show only the links and forms they may use.
func (v view) Can(a string) bool { return v.Me != nil && authz.Can(v.Me.Role, authz.Action(a)) }

// Other is the language the switch offers.
func (v view) Other() string {
	if v.Lang == "en" {
		return "zh"
	}
	return "en"
}

// flash is a one-time message shown after a redirect.
type flash struct {
	Error bool
	Text  string
}

// parsePages parses every page once per language: the layout and the
// partials (files starting with "_") with each page file.
func parsePages(s *server) (map[string]map[string]*page, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var shared, pages []string
	for _, f := range files {
		if b := path.Base(f); strings.HasPrefix(b, "_") || b == "layout.html" {
			shared = append(shared, f)
		} else {
			pages = append(pages, f)
		}
	}
	out := map[string]map[string]*page{}
	for _, lang := range languages {
		base, err := template.New("layout.html").Funcs(s.funcs(lang)).ParseFS(templateFS, shared...)
		if err != nil {
			return nil, err
		}
		out[lang] = map[string]*page{}
		for _, f := range pages {
			t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
			if err != nil {
				return nil, err
			}
			out[lang][strings.TrimSuffix(path.Base(f), ".html")] = t
		}
	}
	return out, nil
}

// funcs are the template functions of one language.
func (s *server) funcs(lang string) template.FuncMap {
	msgs := catalogue[lang]
	return template.FuncMap{
		// t translates a catalogue key; with arguments the message is a
		// format. A missing key is an error, so every page test catches it.
		"t": func(key string, args ...any) (string, error) {
			m, ok := msgs[key]
			if !ok {
				return "", fmt.Errorf("web: no message %q", key)
			}
			if len(args) > 0 {
				return fmt.Sprintf(m, args...), nil
			}
			return m, nil
		},
		// label names a code of a kind (level, category, status, tier,
		// action, ...), or shows the code when the catalogue lacks it.
		"label": func(kind string, code any) string {
			c := fmt.Sprint(code)
			if m, ok := msgs[kind+"."+c]; ok {
				return m
			}
			return c
		},
		// fields translates a service's field errors for the page.
		"fields": func(fs []gridwarn.FieldError) []translatedField { return translateFields(lang, fs) },
		"dt":     func(t any) string { return s.formatTime(t, "2006-01-02 15:04") },
		"date":   func(t any) string { return s.formatTime(t, "2006-01-02") },
		"left":   func(t any) string { return s.left(lang, t) },
		"money":  money,
		"add":    func(a, b int) int { return a + b },
		// pctf shows a share (0.953, or a *float64) as a percentage with
		// one decimal: "95.3%".
		"pctf": func(f any) string {
			var x float64
			switch v := f.(type) {
			case float64:
				x = v
			case *float64:
				if v == nil {
					return "—"
				}
				x = *v
			}
			return strconv.FormatFloat(math.Round(x*1000)/10, 'f', 1, 64) + "%"
		},
		"deref": func(b *bool) bool { return b != nil && *b },
		// dict makes a map of key, value pairs, to pass several values to
		// a partial.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("web: dict needs pairs")
			}
			m := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("web: dict key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"pct": func(a, b int) int {
			if b == 0 {
				return 0
			}
			return int(math.Round(100 * float64(a) / float64(b)))
		},
	}
}

// when unwraps the times templates pass: time.Time, *time.Time or nil.
func when(t any) (time.Time, bool) {
	switch v := t.(type) {
	case time.Time:
		return v, !v.IsZero()
	case *time.Time:
		if v != nil && !v.IsZero() {
			return *v, true
		}
	}
	return time.Time{}, false
}

func (s *server) formatTime(t any, layout string) string {
	tt, ok := when(t)
	if !ok {
		return "—"
	}
	return tt.In(s.loc).Format(layout)
}

// left says how long until a deadline, or how long it is overdue: "2 h
// 10 min left", "overdue 3 h", in the page's language.
func (s *server) left(lang string, t any) string {
	due, ok := when(t)
	if !ok {
		return "—"
	}
	d := due.Sub(s.now())
	key := "time.left"
	if d < 0 {
		d, key = -d, "time.overdue"
	}
	return fmt.Sprintf(catalogue[lang][key], span(lang, d))
}

// span renders a duration coarsely: days and hours, hours and minutes, or
// minutes.
func span(lang string, d time.Duration) string {
	m := catalogue[lang]
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf(m["time.dh"], days, hours)
	case hours > 0:
		return fmt.Sprintf(m["time.hm"], hours, mins)
	default:
		return fmt.Sprintf(m["time.m"], mins)
	}
}

// money renders an amount of yuan with thousands separators.
func money(v float64) string {
	neg := v < 0
	n := int64(math.Round(math.Abs(v)))
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-¥" + b.String()
	}
	return "¥" + b.String()
}

// lang is the page language: the switch's cookie, else the browser's
// Accept-Language when it prefers English, else Chinese.
func lang(c *gin.Context) string {
	if l, err := c.Cookie(langCookie); err == nil && catalogue[l] != nil {
		return l
	}
	if al := strings.ToLower(c.GetHeader("Accept-Language")); strings.HasPrefix(al, "en") {
		return "en"
	}
	return languages[0]
}

// render writes a page. The page is rendered into a buffer first, so a
// template error becomes an error page rather than half a page.
func (s *server) render(c *gin.Context, status int, name, title string, data any) {
	v := view{Lang: lang(c), Me: principal(c), Path: c.Request.URL.RequestURI(), Title: title, Data: data, Flash: s.takeFlash(c)}
	if sess := session(c); sess != nil {
		v.CSRF = sess.CSRF
	}
	if v.CSRF == "" {
		v.CSRF = c.GetString(loginCookie)
	}
	t := s.pages[v.Lang][name]
	if t == nil {
		s.log.Error("web: no such page", "page", name)
		c.String(http.StatusInternalServerError, "internal error")
		c.Abort()
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.log.Error("web: rendering failed", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		c.Abort()
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// fail renders the error page for err: its status, a translated title and
// the error's message (never the details of an internal error).
//
// The page speaks the reader's language: the code's explanation from the
// catalogue (or detail, when the console words the case itself) and the
// fields' labels and rules, never the service's English message, which
// goes to the log instead.
func (s *server) fail(c *gin.Context, err error) {
	s.failWith(c, err, errorDetail(lang(c), err))
}

// failWith is fail with the console's own explanation.
func (s *server) failWith(c *gin.Context, err error, detail string) {
	status, code := api.Status(err)
	if code == gridwarn.EINTERNAL {
		s.log.Error("web: request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	} else {
		s.log.Debug("web: request refused", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	_ = c.Error(err)
	s.render(c, status, "error", "error."+code, errorView{Code: code, Status: status, Message: detail,
		Fields: translateFields(lang(c), gridwarn.ErrorFields(err))})
	c.Abort()
}

type errorView struct {
	Code    string
	Status  int
	Message string
	Fields  []translatedField
}

// redirect answers a form with a redirect to to (Post/Redirect/Get),
// leaving a one-time message (a catalogue key) for the next page.
func (s *server) redirect(c *gin.Context, to, flashKey string, isError bool) {
	if flashKey != "" {
		v := flashKey
		if isError {
			v = "!" + v
		}
		http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(v), Path: "/ui/", HttpOnly: true,
			Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	c.Redirect(http.StatusSeeOther, to)
	c.Abort()
}

// takeFlash reads and clears the one-time message.
func (s *server) takeFlash(c *gin.Context) *flash {
	raw, err := c.Cookie(flashCookie)
	if err != nil || raw == "" {
		return nil
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: "", Path: "/ui/", HttpOnly: true,
		Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	key, _ := url.QueryUnescape(raw)
	f := &flash{}
	if strings.HasPrefix(key, "!") {
		f.Error, key = true, key[1:]
	}
	m, ok := catalogue[lang(c)][key]
	if !ok {
		return nil // only catalogue messages: a forged cookie shows nothing
	}
	f.Text = m
	return f
}
