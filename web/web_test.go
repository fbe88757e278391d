package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func testServer(t *testing.T, fsys fs.FS) *httptest.Server {
	t.Helper()
	h, err := NewHandler(fsys)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return res, string(body)
}

func TestHandler(t *testing.T) {
	srv := testServer(t, fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html><title>login</title>")},
		"goods.html":           {Data: []byte("<!doctype html><title>goods</title>")},
		"js/live.js":           {Data: []byte("export {};")},
		"css/shop.css":         {Data: []byte("body{}")},
		"images/goods/mug.svg": {Data: []byte("<svg/>")},
		"vendor/client.js.map": {Data: []byte("{}")},
	})
	tests := []struct {
		name, method, path string
		status             int
		contentType, cache string
		body               string
	}{
		{"root is the login page", "GET", "/", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html><title>login</title>"},
		{"index by name", "GET", "/index.html", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html><title>login</title>"},
		{"page", "GET", "/goods.html", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html><title>goods</title>"},
		{"page with a query", "GET", "/goods.html?category=drink", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html><title>goods</title>"},
		{"module", "GET", "/js/live.js", 200, "text/javascript; charset=utf-8", "no-cache", "export {};"},
		{"stylesheet", "GET", "/css/shop.css", 200, "text/css; charset=utf-8", "no-cache", "body{}"},
		{"image", "GET", "/images/goods/mug.svg", 200, "image/svg+xml", "public, max-age=86400", "<svg/>"},
		{"source map", "GET", "/vendor/client.js.map", 200, "application/json; charset=utf-8", "no-cache", "{}"},
		{"head", "HEAD", "/", 200, "text/html; charset=utf-8", "no-cache", ""},
		{"missing file", "GET", "/cart.html", 404, "", "", ""},
		{"directory without index", "GET", "/js/", 404, "", "", ""},
		{"directory itself", "GET", "/js", 404, "", "", ""},
		{"escape attempt", "GET", "/js/../../web.go", 404, "", "", ""},
		{"post", "POST", "/", 405, "", "", ""},
		{"delete", "DELETE", "/js/live.js", 405, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, tt.method, srv.URL+tt.path, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status == 405 {
				if got := res.Header.Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow: got %q, want %q", got, "GET, HEAD")
				}
			}
			if tt.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type: got %q, want %q", got, tt.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control: got %q, want %q", got, tt.cache)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
			}
			if res.Header.Get("ETag") == "" {
				t.Error("ETag: got none, want one")
			}
			wantCSP := ""
			if strings.HasPrefix(tt.contentType, "text/html") {
				wantCSP = ContentSecurityPolicy
			}
			if got := res.Header.Get("Content-Security-Policy"); got != wantCSP {
				t.Errorf("Content-Security-Policy: got %q, want %q", got, wantCSP)
			}
			if body != tt.body {
				t.Errorf("body: got %q, want %q", body, tt.body)
			}
		})
	}
}

func TestHandlerRevalidation(t *testing.T) {
	srv := testServer(t, fstest.MapFS{
		"a.js": {Data: []byte("export const a = 1;")},
		"b.js": {Data: []byte("export const b = 2;")},
	})
	res, _ := do(t, "GET", srv.URL+"/a.js", nil)
	etag := res.Header.Get("ETag")
	other, _ := do(t, "GET", srv.URL+"/b.js", nil)
	if other.Header.Get("ETag") == etag {
		t.Fatalf("ETag of different content: got the same %s, want different", etag)
	}
	tests := []struct {
		name, ifNoneMatch string
		status            int
	}{
		{"current tag", etag, http.StatusNotModified},
		{"stale tag", `"stale"`, http.StatusOK},
		{"any", "*", http.StatusNotModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := do(t, "GET", srv.URL+"/a.js", http.Header{"If-None-Match": {tt.ifNoneMatch}})
			if res.StatusCode != tt.status {
				t.Errorf("status: got %d, want %d", res.StatusCode, tt.status)
			}
		})
	}
}

// TestAssetsLinks checks that every page the contract names exists and that
// every local file a page, module or stylesheet refers to is served, so a
// renamed file cannot leave a broken link or a module that fails to load.
func TestPagesInLayout(t *testing.T) {
	layout := []byte(`<!doctype html><head>{{template "head" .}}</head><header>menu</header><main>{{template "main" .}}</main>`)
	srv := testServer(t, fstest.MapFS{
		"layout.tmpl": {Data: layout},
		"index.html":  {Data: []byte(`{{define "head"}}<title>로그인 · 쇼핑몰</title>{{end}}{{define "main"}}<p>a & b</p>{{end}}`)},
		"js/app.js":   {Data: []byte(`export const t = "{{define}}";`)},
	})
	tests := []struct{ path, status, body string }{
		{"/", "200 OK", `<!doctype html><head><title>로그인 · 쇼핑몰</title></head><header>menu</header><main><p>a & b</p></main>`},
		{"/js/app.js", "200 OK", `export const t = "{{define}}";`},
		{"/layout.tmpl", "404 Not Found", "404 page not found\n"},
	}
	for _, tt := range tests {
		res, body := do(t, "GET", srv.URL+tt.path, nil)
		if res.Status != tt.status || body != tt.body {
			t.Errorf("GET %s: got %s %q, want %s %q", tt.path, res.Status, body, tt.status, tt.body)
		}
	}

	bad := []struct{ name, page string }{
		{"no main", `{{define "head"}}<title>x</title>{{end}}`},
		{"no head", `{{define "main"}}x{{end}}`},
		{"syntax", `{{define "head"}}{{end}}{{define "main"}}{{.Broken{{end}}`},
	}
	for _, tt := range bad {
		_, err := NewHandler(fstest.MapFS{"layout.tmpl": {Data: layout}, "index.html": {Data: []byte(tt.page)}})
		if err == nil || !strings.Contains(err.Error(), "index.html") {
			t.Errorf("%s: got error %v, want one naming index.html", tt.name, err)
		}
	}
}

// TestAssetsPages checks the shop's pages as served: one frame each, with
// the site's header and footer, a title and the page's own script.
func TestAssetsPages(t *testing.T) {
	srv := testServer(t, Assets())
	for page, script := range map[string]string{
		"/": "login", "/register.html": "register", "/goods.html": "goods", "/detail.html": "detail",
		"/cart.html": "cart", "/order.html": "order", "/orders.html": "orders",
	} {
		res, body := do(t, "GET", srv.URL+page, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", page, res.StatusCode)
			continue
		}
		for _, want := range []string{"<!doctype html>", `<header class="site-header">`, `<main id="main"`, `<footer class="site-footer">`, "<title>", `src="/js/` + script + `.js"`} {
			if n := strings.Count(body, want); n != 1 {
				t.Errorf("GET %s: got %d of %q, want 1", page, n, want)
			}
		}
		if strings.Contains(body, "{{") || !strings.HasPrefix(body, "<!doctype html>") {
			t.Errorf("GET %s: not a rendered page:\n%.200s", page, body)
		}
	}
}

func TestAssetsLinks(t *testing.T) {
	assets := Assets()
	srv := testServer(t, assets)

	pages := []string{"/", "/register.html", "/goods.html", "/detail.html", "/cart.html", "/order.html", "/orders.html"}
	images := []string{"americano", "latte", "greentea", "croissant", "cheesecake", "sandwich", "tumbler", "mug", "placeholder"}
	refs := map[string]string{} // reference -> file it appears in
	for _, p := range pages {
		refs[p] = "the contract"
	}
	for _, name := range images {
		refs["/images/goods/"+name+".svg"] = "the seed catalogue"
	}

	patterns := map[string]*regexp.Regexp{
		".html": regexp.MustCompile(`(?:src|href)="(/[^"#?]*)`),
		".tmpl": regexp.MustCompile(`(?:src|href)="(/[^"#?]*)`),
		".js":   regexp.MustCompile(`(?:from\s+|import\s*\(\s*|=\s*)'(/[^'?#]+\.(?:js|svg|html))`),
		".css":  regexp.MustCompile(`url\("(/[^"]+)"\)`),
	}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "vendor/") {
			return err
		}
		re, ok := patterns[path.Ext(p)]
		if !ok {
			return nil
		}
		data, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			refs[m[1]] = p
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk assets: %v", err)
	}
	if _, ok := refs["/vendor/socket.io.esm.min.js"]; !ok {
		t.Fatal("references: got none to /vendor/socket.io.esm.min.js, want js/live.js to load it")
	}
	for ref, from := range refs {
		res, _ := do(t, "GET", srv.URL+ref, nil)
		if res.StatusCode != http.StatusOK {
			hint := ""
			if strings.HasPrefix(ref, "/vendor/") {
				hint = " (run `npm ci`, which copies the socket.io client into web/assets/vendor)"
			}
			t.Errorf("GET %s (referred to by %s): got %d, want 200%s", ref, from, res.StatusCode, hint)
		}
	}
}
