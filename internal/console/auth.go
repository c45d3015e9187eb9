package console

import (
	"net/http"
	"strings"

	"github.com/licet/licet"
)

// signinView is what the sign-in page renders.
type signinView struct {
	Notice string // why the user is here (session expired, signed out)
	Error  string // why the last attempt failed
	Next   string
}

// safeNext returns next when it is a path on this site, else "/": the sign-in page never
// redirects elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.session(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderSignin(w, r, http.StatusOK, signinReasons[r.URL.Query().Get("reason")], "", r.URL.Query().Get("next"))
}

func (s *Server) renderSignin(w http.ResponseWriter, r *http.Request, status int, notice, errMsg, next string) {
	v := view{Title: "Sign in", PageID: "signin", Now: s.Now(),
		Data: signinView{Notice: notice, Error: errMsg, Next: safeNext(next)}}
	if err := s.write(w, status, "signin", v); err != nil {
		s.Logger.Error("console render sign-in", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// signin checks the token through the token service and sets the session cookie. Only the
// operator and tenant admins have a console; the token's secret is never stored in the cookie.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if err := s.cop.Check(r); err != nil {
		s.renderSignin(w, r, http.StatusForbidden, "", "The sign-in form came from another site; nothing was done.", "/")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.renderSignin(w, r, http.StatusBadRequest, "", "The form could not be read.", "/")
		return
	}
	next := r.PostForm.Get("next")
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	if secret == "" {
		s.renderSignin(w, r, http.StatusBadRequest, "", "Enter an API token: the operator token licet printed on first start, or a tenant token from licet token create --tenant SLUG.", next)
		return
	}
	actor, err := s.Tokens.Authenticate(r.Context(), secret)
	switch {
	case licet.ErrorCode(err) == licet.EUnauthorized:
		s.renderSignin(w, r, http.StatusUnauthorized, "", "That token is unknown or revoked. Check that you pasted the whole token, starting with licet_.", next)
		return
	case err != nil:
		s.Logger.Error("console sign-in", "err", err)
		s.renderSignin(w, r, http.StatusServiceUnavailable, "", "licet could not check the token just now; try again in a moment.", next)
		return
	case actor.Role != licet.RoleOperator && actor.Role != licet.RoleTenant:
		s.renderSignin(w, r, http.StatusForbidden, "", "Only operator and tenant tokens can sign in to the console; this is a "+string(actor.Role)+" token.", next)
		return
	}
	sess := session{ID: newSessionID(), TokenID: actor.TokenID, Role: actor.Role, TenantID: actor.TenantID, Expires: s.Now().Add(SessionTTL).Unix()}
	s.setCookie(w, r, sessionCookie, s.keys.encodeSession(sess), int(SessionTTL.Seconds()))
	s.Logger.Info("console sign-in", "actor", actor.String(), "token_id", actor.TokenID)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// signout ends the session in this browser. The cookie is stateless: to end every session of a
// token, revoke the token.
func (s *Server) signout(c *reqCtx) error {
	s.clearSession(c.w, c.r)
	http.Redirect(c.w, c.r, "/signin?reason=signedout", http.StatusSeeOther)
	return nil
}

func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	s.setCookie(w, r, sessionCookie, "", -1)
}

// setCookie sets one of the console's cookies: for the whole site, hidden from scripts, never
// sent cross-site, and Secure when the client came over HTTPS (directly or through a trusted
// proxy). A negative maxAge deletes the cookie.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.Proxies.HTTPS(r)})
}
