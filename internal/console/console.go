// Package console is licet's web console: server-rendered pages (html/template from embedded
// files), one stylesheet and a vendored htmx, served by `licet serve` at /.
//
// Operators and tenant admins sign in with an API token; the console keeps a signed, stateless
// session cookie and re-checks on every request that the token is not revoked. Every form carries
// a CSRF token derived from the session. Pages and the overview's panels are registered in
// registry.go, one file per page, so that a capability adds its page without touching the others.
package console

import (
	"context"
	"crypto/ed25519"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/clientaddr"
)

//go:embed templates static
var files embed.FS

// maxForm bounds the body of every form the console accepts.
const maxForm = 64 << 10

// Sessions re-reads the token of a session: the console calls it on every signed-in request.
type Sessions interface {
	// ActorByTokenID returns the actor of the token. Errors: EUnauthorized (unknown or revoked).
	ActorByTokenID(ctx context.Context, id int64) (licet.Actor, error)
}

// Server is the web console. Its services are the same the HTTP API uses; it calls them with the
// signed-in actor in the context, so that every rule and every tenant check applies unchanged.
type Server struct {
	Tenants  licet.TenantService
	Tokens   licet.TokenService
	Audit    licet.AuditService
	Sessions Sessions
	// Seats sells subscriptions and assigns licenses; nil leaves the seat pages unavailable.
	Seats licet.SeatService
	// Keys, Products, Offline and Activity are volume activation: the product key page, the
	// offline activation form and the overview's key panels; nil Keys leaves them unavailable.
	Keys     licet.KeyService
	Products licet.ProductService
	Offline  licet.OfflineActivationService
	Activity licet.KeyActivityService
	// Inventory, Events and Webhooks back the Machines and Webhooks pages and the recent events
	// panel; nil leaves them out.
	Inventory licet.InventoryService
	Events    licet.EventService
	Webhooks  licet.WebhookService
	// Catalog returns the SKU catalog in force, or nil when none is loaded.
	Catalog func() *catalog.Catalog
	// Catalogs lists the catalog's versions and CatalogVersion names the one served, for the
	// catalog page; nil leaves the history out.
	Catalogs       licet.CatalogService
	CatalogVersion func() *licet.CatalogVersion
	// Uploads keeps the uploaded bulk-assignment lists, so that any replica can run their dry run
	// and apply; nil refuses bulk assignment (EUnavailable).
	Uploads BulkUploads
	// SigningKey is the operator's signing key; the session key is derived from it.
	SigningKey ed25519.PrivateKey
	Now        func() time.Time
	Logger     *slog.Logger
	// Proxies are the trusted TLS-terminating proxies: behind one that forwards
	// X-Forwarded-Proto: https, cookies get the Secure flag as they do over direct TLS.
	Proxies *clientaddr.Proxies

	keys   keys
	bulk   BulkUploads                   // uploaded user lists between the dry run and the apply
	base   *template.Template            // the layout, partials and panels
	pages  map[string]*template.Template // by page id, each a clone of base with its content
	cop    *http.CrossOriginProtection
	static map[string]string // file name → "?v=hash" suffix, for cache busting
}

// Handler returns the console's handler: every path it does not know answers an HTML 404.
func (s *Server) Handler() (http.Handler, error) {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	k, err := deriveKeys(s.SigningKey)
	if err != nil {
		return nil, err
	}
	s.keys = k
	s.cop = http.NewCrossOriginProtection()
	s.bulk = s.Uploads
	if s.bulk == nil {
		s.bulk = noUploads{}
	}
	if err := s.loadStatic(); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", s.staticHandler())
	mux.HandleFunc("GET /signin", s.signinForm)
	mux.HandleFunc("POST /signin", s.signin)
	mux.Handle("POST /signout", s.signedIn(nil, func(s *Server, c *reqCtx) error { return s.signout(c) }))
	for _, p := range registry {
		base := p.Path
		if p.Scope == perTenant {
			base = "/tenants/{tenant}" + p.Path
		}
		get := base
		if get == "/" {
			get = "/{$}"
		}
		mux.Handle("GET "+get, s.signedIn(p, func(s *Server, c *reqCtx) error { return c.show(http.StatusOK) }))
		for sub, action := range p.Actions {
			mux.Handle("POST "+strings.TrimSuffix(base, "/")+sub, s.signedIn(p, action))
		}
		for sub, file := range p.Files {
			mux.Handle("GET "+strings.TrimSuffix(base, "/")+sub, s.signedIn(p, file))
		}
	}
	mux.Handle("/", s.signedIn(nil, func(s *Server, c *reqCtx) error {
		return licet.Errorf(licet.ENotFound, "there is no page at %s", c.r.URL.Path)
	}))
	return securityHeaders(mux), nil
}

// securityHeaders sets the headers every console answer carries: a strict content security
// policy (scripts and styles only from /static), no framing, no caching of pages that may hold
// secrets.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// reqCtx is one signed-in request: the actor, the page, the tenant the URL names, and the state
// of a form being answered.
type reqCtx struct {
	w      http.ResponseWriter
	r      *http.Request
	s      *Server
	sess   session
	actor  licet.Actor
	page   *page
	tenant *licet.Tenant // the tenant named by the URL (perTenant pages)
	home   *licet.Tenant // a tenant admin's own tenant
	form   *form
	result any // the outcome of the action just done, shown once
	flash  string
	memo   map[string]any
}

// ctx returns the request context carrying the signed-in actor.
func (c *reqCtx) ctx() context.Context { return licet.WithActor(c.r.Context(), c.actor) }

// pathID reads the URL's numeric {id}; anything else answers ENotFound naming what the id is of
// ("token", "delivery"…), as an unknown id does.
func (c *reqCtx) pathID(what string) (int64, error) {
	raw := c.r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, licet.Errorf(licet.ENotFound, "%s %q not found", what, raw)
	}
	return id, nil
}

// handler is a page's GET or one of its actions.
type handler func(s *Server, c *reqCtx) error

// signedIn wraps h with the session check, the CSRF check of POSTs, the page's access rules and
// the error page.
func (s *Server) signedIn(p *page, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &reqCtx{w: w, r: r, s: s, page: p, memo: map[string]any{}}
		sess, actor, err := s.session(r)
		if err != nil {
			s.signinRequired(w, r, err)
			return
		}
		c.sess, c.actor = sess, actor
		if err := s.serve(c, h); err != nil {
			s.renderError(c, err)
		}
	})
}

func (s *Server) serve(c *reqCtx, h handler) error {
	r := c.r
	if c.actor.Role == licet.RoleTenant {
		t, err := s.Tenants.Tenant(c.ctx(), c.actor.Tenant)
		if err != nil {
			return err
		}
		c.home = t
	}
	if r.Method == http.MethodPost {
		if err := s.cop.Check(r); err != nil {
			return licet.Errorf(licet.EForbidden, "the form came from another site: nothing was changed")
		}
		if err := parseForm(c); err != nil {
			return err
		}
		token := r.PostForm.Get("csrf")
		if token == "" {
			token = r.Header.Get("X-CSRF-Token")
		}
		if !s.keys.checkCSRF(c.sess, token) {
			return licet.Errorf(licet.EForbidden, "the form's security token is missing or wrong (it may be from an earlier session or another site): nothing was changed; reload the page and try again").With("rule", "csrf")
		}
	}
	if c.page != nil {
		if c.page.OperatorOnly && !c.actor.IsOperator() {
			return licet.Errorf(licet.ENotFound, "there is no page at %s", r.URL.Path)
		}
		if c.page.Scope == perTenant {
			t, err := s.Tenants.Tenant(c.ctx(), r.PathValue("tenant"))
			if err != nil {
				return err
			}
			c.tenant = t
		}
	}
	if ck, err := r.Cookie(flashCookie); err == nil {
		c.flash = s.keys.decodeFlash(ck.Value)
		s.setCookie(c.w, r, flashCookie, "", -1)
	}
	return h(s, c)
}

// parseForm reads the body of a POST: a form of at most maxForm bytes, or a multipart form (a
// file upload) of at most the page's Upload bytes, held in memory.
func parseForm(c *reqCtx) error {
	r := c.r
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		r.Body = http.MaxBytesReader(c.w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			return formError(err)
		}
		return nil
	}
	if c.page == nil || c.page.Upload == 0 {
		return licet.Errorf(licet.EInvalid, "this form takes no file: nothing was changed")
	}
	r.Body = http.MaxBytesReader(c.w, r.Body, c.page.Upload)
	if err := r.ParseMultipartForm(c.page.Upload); err != nil {
		return formError(err)
	}
	return nil
}

// formError keeps a body over its limit recognisable (renderError names the limit) and says
// that any other unreadable form changed nothing.
func formError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return err
	}
	return licet.Errorf(licet.EInvalid, "the form could not be read: nothing was changed")
}

// session reads and checks the session cookie, then re-reads its token.
func (s *Server) session(r *http.Request) (session, licet.Actor, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, licet.Actor{}, errNoSession
	}
	sess, err := s.keys.decodeSession(ck.Value, s.Now())
	if err != nil {
		return session{}, licet.Actor{}, err
	}
	actor, err := s.Sessions.ActorByTokenID(r.Context(), sess.TokenID)
	if licet.ErrorCode(err) == licet.EUnauthorized {
		return session{}, licet.Actor{}, errTokenRevoked
	}
	if err != nil {
		return session{}, licet.Actor{}, err
	}
	if actor.Role != sess.Role || actor.TenantID != sess.TenantID {
		return session{}, licet.Actor{}, errSessionInvalid
	}
	return sess, actor, nil
}

var errTokenRevoked = errors.New("the token of this session was revoked")

// signinReasons are the notices of the sign-in page, by the reason a session ended.
var signinReasons = map[string]string{
	"expired":   "Your session has expired. Sign in again.",
	"revoked":   "The token of your session was revoked. Sign in with another token.",
	"invalid":   "Your session could not be verified. Sign in again.",
	"signedout": "You are signed out.",
}

// signinRequired answers a request without a valid session: a GET goes to the sign-in page and
// comes back afterwards; a POST is refused with the reason, so nothing changes.
func (s *Server) signinRequired(w http.ResponseWriter, r *http.Request, err error) {
	reason := ""
	switch {
	case errors.Is(err, errSessionExpired):
		reason = "expired"
	case errors.Is(err, errTokenRevoked):
		reason = "revoked"
	case errors.Is(err, errSessionInvalid):
		reason = "invalid"
	case errors.Is(err, errNoSession):
	default:
		s.Logger.Error("console session check", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if reason != "" {
		s.clearSession(w, r)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		q := url.Values{"next": {r.URL.RequestURI()}}
		if reason != "" {
			q.Set("reason", reason)
		}
		http.Redirect(w, r, "/signin?"+q.Encode(), http.StatusSeeOther)
		return
	}
	msg := signinReasons[reason]
	if msg == "" {
		msg = "You are not signed in."
	}
	s.renderSignin(w, r, http.StatusUnauthorized, msg+" Nothing was changed.", "", "/")
}

// redirect answers an action with a redirect and a one-time notice for the next page.
func (c *reqCtx) redirect(to, notice string) error {
	if notice != "" {
		c.s.setCookie(c.w, c.r, flashCookie, c.s.keys.encodeFlash(notice), 60)
	}
	http.Redirect(c.w, c.r, to, http.StatusSeeOther)
	return nil
}

// show renders the page with its data: after a GET, or after an action that re-renders it (a
// form with errors, a secret to show once).
func (c *reqCtx) show(status int) error {
	var data any
	if c.page.Load != nil {
		d, err := c.page.Load(c.s, c)
		if err != nil {
			return err
		}
		data = d
	}
	return c.s.render(c, status, c.page.ID, c.page.Title, data)
}

// refuse re-renders the page with the error of an action beside its form: on the field the error
// names (or field, when it names none), else above the form. Internal errors go to the error page.
func (c *reqCtx) refuse(err error, field string) error {
	e := licet.AsError(err)
	if e.Code == licet.EInternal || e.Code == licet.EUnavailable {
		return err
	}
	f := &form{Values: c.r.PostForm, Errors: map[string]string{}}
	if p := explain(e); p != nil { // a rule: explained above the form
		f.Problem = p
		c.form = f
		return c.show(licet.HTTPStatus(e.Code))
	}
	if name, ok := e.Details["field"].(string); ok && name != "" {
		field = inputName(name)
	}
	if field != "" {
		f.Errors[field] = e.Message
	} else {
		f.Error = e.Message
	}
	c.form = f
	return c.show(licet.HTTPStatus(e.Code))
}

// form is the state of a form answered with errors: what was typed and what was wrong.
type form struct {
	Values  url.Values
	Errors  map[string]string
	Error   string
	Problem *problem // a rule refused, explained
}

// view is what the layout renders.
type view struct {
	Title    string
	PageID   string
	Actor    licet.Actor
	SignedIn bool
	CSRF     string
	Nav      []navSection
	Tenant   *licet.Tenant // the tenant in context: named by the URL, or a tenant admin's own
	Flash    string
	Form     *form
	Result   any
	Data     any
	Now      time.Time
	Message  string // of the error page
}

func (s *Server) render(c *reqCtx, status int, id, title string, data any) error {
	v := view{Title: title, PageID: id, Actor: c.actor, SignedIn: true, CSRF: s.keys.csrfToken(c.sess),
		Tenant: c.tenant, Flash: c.flash, Form: c.form, Result: c.result, Data: data, Now: s.Now()}
	if v.Tenant == nil {
		v.Tenant = c.home
	}
	v.Nav = s.nav(c, v.Tenant)
	return s.write(c.w, status, id, v)
}

// write executes a page template into a buffer first, so that a template error never sends half
// a page.
func (s *Server) write(w http.ResponseWriter, status int, id string, v view) error {
	t, ok := s.pages[id]
	if !ok {
		return fmt.Errorf("console: no template for page %q", id)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := fmt.Fprint(w, b.String())
	return err
}

// renderError shows an error inside the layout with the status the API would give it; internal
// errors are logged and shown as "internal error".
func (s *Server) renderError(c *reqCtx, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = licet.Errorf(licet.ETooLarge, "the form is over the limit of %d bytes: nothing was changed", maxErr.Limit)
	}
	e := licet.AsError(err)
	if e.Code == licet.EInternal {
		s.Logger.Error("console internal error", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
	}
	status := licet.HTTPStatus(e.Code)
	title := http.StatusText(status)
	if status == http.StatusNotFound {
		title = "Not found"
	}
	v := view{Title: title, PageID: "error", Actor: c.actor, SignedIn: true, CSRF: s.keys.csrfToken(c.sess),
		Tenant: c.home, Now: s.Now(), Message: e.Message}
	v.Nav = s.nav(c, c.home)
	if werr := s.write(c.w, status, "error", v); werr != nil {
		s.Logger.Error("console render error page", "err", werr)
		http.Error(c.w, "internal error", http.StatusInternalServerError)
	}
}

// staticHandler serves the embedded stylesheet and script; names carry a version query, so they
// may be cached for long.
func (s *Server) staticHandler() http.Handler {
	sub, _ := fs.Sub(files, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		fsrv.ServeHTTP(w, r)
	})
}

// inputName is the form input an error's field names: the API's camelCase name, written in words
// by some messages ("usage location" is the input usageLocation).
func inputName(field string) string {
	words := strings.Fields(field)
	for i := 1; i < len(words); i++ {
		words[i] = strings.ToUpper(words[i][:1]) + words[i][1:]
	}
	return strings.Join(words, "")
}
