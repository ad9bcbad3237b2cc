package dashboard

import (
	"net/http"
	"slices"
	"strings"
)

// Identifiers that may hold any character (organization ids, permission
// slugs, which may even be "..") travel in the query string, never in the
// path, so no browser or router rewrites them.

func (h *Handler) routes(m *http.ServeMux) {
	static := http.StripPrefix("/static", h.static)
	m.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		static.ServeHTTP(w, r)
	})
	m.HandleFunc("GET /sign-in", h.signInPage)
	m.HandleFunc("POST /sign-in", h.signIn)
	m.Handle("POST /sign-out", h.guard((*ctx).signOut))
	m.Handle("GET /{$}", h.guard(func(c *ctx) { http.Redirect(c.w, c.r, c.link("roles"), http.StatusSeeOther) }))

	m.Handle("GET /permissions", h.guard((*ctx).permissionsPage))
	m.Handle("POST /permissions", h.guard((*ctx).createPermission))
	m.Handle("GET /permission", h.guard((*ctx).permissionPage))
	m.Handle("POST /permission", h.guard((*ctx).updatePermission))
	m.Handle("GET /permission/delete", h.guard((*ctx).permissionDeletePage))
	m.Handle("POST /permission/delete", h.guard((*ctx).deletePermission))

	m.Handle("GET /roles", h.guard((*ctx).rolesPage))
	m.Handle("POST /roles", h.guard((*ctx).createRole))
	m.Handle("POST /priority-order", h.guard((*ctx).setPriorityOrder))
	m.Handle("POST /default-role", h.guard((*ctx).setDefaultRole))
	m.Handle("POST /multiple-roles", h.guard((*ctx).setMultipleRoles))
	m.Handle("GET /role", h.guard((*ctx).rolePage))
	m.Handle("POST /role", h.guard((*ctx).updateRole))
	m.Handle("GET /role/delete", h.guard((*ctx).roleDeletePage))
	m.Handle("POST /role/delete", h.guard((*ctx).deleteRole))

	m.Handle("GET /organizations", h.guard((*ctx).organizationsPage))
	m.Handle("POST /organizations", h.guard((*ctx).createOrganization))
	m.Handle("GET /org", h.guard(func(c *ctx) {
		http.Redirect(c.w, c.r, c.link("org/roles", "org", c.q("org")), http.StatusSeeOther)
	}))
	m.Handle("GET /org/roles", h.guard((*ctx).orgRolesPage))
	m.Handle("POST /org/roles", h.guard((*ctx).createOrgRole))
	m.Handle("POST /org/priority-order", h.guard((*ctx).setOrgPriorityOrder))
	m.Handle("POST /org/default-role", h.guard((*ctx).setOrgDefaultRole))
	m.Handle("GET /org/role", h.guard((*ctx).orgRolePage))
	m.Handle("POST /org/role", h.guard((*ctx).updateOrgRole))
	m.Handle("GET /org/role/delete", h.guard((*ctx).orgRoleDeletePage))
	m.Handle("POST /org/role/delete", h.guard((*ctx).deleteOrgRole))
	m.Handle("GET /org/members", h.guard((*ctx).membersPage))
	m.Handle("POST /org/members", h.guard((*ctx).createMember))
	m.Handle("POST /org/member/roles", h.guard((*ctx).setMemberRoles))
	m.Handle("POST /org/member/status", h.guard((*ctx).setMemberStatus))
	m.Handle("GET /org/member/remove", h.guard((*ctx).memberRemovePage))
	m.Handle("POST /org/member/remove", h.guard((*ctx).removeMember))
	m.Handle("GET /org/groups", h.guard((*ctx).groupsPage))
	m.Handle("POST /org/groups", h.guard((*ctx).createGroupMapping))
	m.Handle("POST /org/group/delete", h.guard((*ctx).deleteGroupMapping))
}

// q reads a query parameter of the URL (never of the body).
func (c *ctx) q(name string) string { return c.r.URL.Query().Get(name) }

// f reads a form field of the body.
func (c *ctx) f(name string) string { return strings.TrimSpace(c.r.PostForm.Get(name)) }

// fs reads every value of a form field, without empty ones.
func (c *ctx) fs(name string) []string {
	var out []string
	for _, v := range c.r.PostForm[name] {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// moved returns order with slug moved one place up or down, and whether
// the move was possible.
func moved(order []string, slug, dir string) ([]string, bool) {
	i := slices.Index(order, slug)
	j := i - 1
	if dir == "down" {
		j = i + 1
	}
	if i < 0 || j < 0 || j >= len(order) || (dir != "up" && dir != "down") {
		return order, false
	}
	out := slices.Clone(order)
	out[i], out[j] = out[j], out[i]
	return out, true
}

// splitOrder reads the comma-separated order a page showed.
func splitOrder(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
