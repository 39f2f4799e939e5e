package testutil

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browsers are the names a Chromium-based browser goes by, in the order
// they are tried; GRIDWARN_CHROMIUM names one explicitly.
var Browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// MustChromium returns the path of a headless-capable Chromium. Without
// one the test is skipped — or fails under CI=true, where scripts/test.sh
// has installed it (apt-get install chromium).
func MustChromium(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("GRIDWARN_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("GRIDWARN_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range Browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFatal(tb, "no Chromium found (tried GRIDWARN_CHROMIUM and "+strings.Join(Browsers, ", ")+"); install it with: apt-get install chromium")
	return ""
}

// MustStartBrowser starts a headless Chromium with a window of width ×
// height CSS pixels and returns a context to drive it with chromedp; the
// browser ends with the test.
func MustStartBrowser(tb testing.TB, width, height int) context.Context {
	tb.Helper()
	path := MustChromium(tb)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.WindowSize(width, height), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to sandbox as root
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		tb.Fatalf("start %s: %v", path, err)
	}
	return ctx
}
