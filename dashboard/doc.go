/*
Package dashboard is the rbac Dashboard: an [http.Handler] serving the
pages a team uses to manage the roles and permissions of one environment —
the environment's permissions and roles, its organizations, and per
organization the Roles, Members and Groups tabs. Pages are rendered on the
server and work without JavaScript; the style sheet and one small script
are embedded in the binary.

# Mounting

[New] returns the handler for a [*rbac.Service]. Mount it at its prefix:

	mux.Handle("/dashboard/", dashboard.New(svc, dashboard.Options{
		Prefix:       "/dashboard/",
		Authenticate: adminEnvironment, // the application's own check
		LoginURL:     "/login",
	}))

The handler strips Options.Prefix itself and builds every link and cookie
path from it; behind http.StripPrefix(strings.TrimSuffix(prefix, "/"), h)
it works as well, as long as Options.Prefix names the outer path.

# Who may use it

A request is let in when Options.Authenticate, the application's own
check, returns an environment and true, or when it carries the session of a
sign-in with one of Options.APIKeys (the sign-in `rbac serve` uses: each key
is bound to one environment, which is the one shown). Other page requests
are sent to Options.LoginURL when it is set, to the sign-in page when there
are API keys, and otherwise answered 401; other form posts are answered
401. With neither option set every request is refused.

A key sign-in is kept on the server: the cookie (rbac_dashboard_session,
HttpOnly, SameSite=Strict, Secure over TLS or with Options.SecureCookies)
holds a random id of 256 bits and nothing else. Signing out, or
Options.SessionTTL (12 hours by default) passing, ends it for good.
SameSite=Strict means that a link to the Dashboard followed from another
site arrives signed out; an admin tool is rarely entered that way, and in
return no request started by another site ever carries the session.

# Forged requests

Every state-changing request is a POST and passes two checks before it
changes anything: [http.CrossOriginProtection] refuses requests a browser
marks as coming from another origin (Sec-Fetch-Site, or Origin against
Host), and every form carries a token that must match the session's (for a
key sign-in, a random token kept with the session; under Authenticate, an
HMAC of the environment and a random cookie). The token covers browsers
that send neither header, and requests from another origin on the same
site, whose cookies SameSite does not withhold. The sign-in form, which has no session yet, has
the first check only. A refused request gets 403 and changes nothing. Form bodies are limited to 64 KiB.

# What every page does

Stored text is escaped by [html/template]: a role named
<script>alert(1)</script> renders as text. Every response carries a
Content-Security-Policy that allows only the Dashboard's own script and
style sheet (nothing inline) and no framing (frame-ancestors 'none'),
X-Content-Type-Options: nosniff, X-Frame-Options: DENY and
Referrer-Policy: same-origin; pages are sent with Cache-Control: no-store.

A form the library refuses is shown again with what was typed, the
library's own message next to the form (and the field at fault marked), the
organizations concerned when the error names some, and the status
[rbac.HTTPStatus] gives the error; nothing is changed. A change that
succeeds redirects (303) to the page it concerns, which confirms it.

Deleting a role never happens in one click. For an environment role the
page first runs the library's dry run: when the role is the default of the
environment or of organizations it asks to "Select a replacement role",
naming them, then shows the plan — the defaults replaced, the memberships
reassigned, the group mappings re-pointed — and only the confirmation
deletes. An organization role held by members or mappings, or that is the
organization's default, asks the same way for the role to reassign them to.

A role held by more than 100 memberships is an exception: the dry run
would apply the deletion to every holder before rolling it back, which at
tens of thousands of holders takes seconds, so the plan comes from listings
— the organizations whose default changes, the first memberships that hold
the role — and says that it does not count them; the confirmation reports
the exact numbers of the deletion.

Organizations and members are listed 50 to a page, by id, with links to the
first, previous and next pages; the organization search
([rbac.Service.SearchOrganizations]) matches ids, names and external ids,
ignoring case, and pages both ways.
*/
package dashboard
