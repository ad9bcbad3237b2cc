// The rbac Dashboard works without this script. It only adds a live
// preview of the slug a new organization role will get, computed the way
// the library computes it (rbac.OrganizationRoleSlug and
// rbac.GenerateOrganizationRoleSlug); the server's preview and the created
// role remain the reference.
'use strict';
(function () {
  document.documentElement.classList.add('js');
  var PREFIX = 'org-', MAX = 48, SUFFIX = 6;
  var SPACES = ' \t\n\r\v\f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

  // base returns the part of a generated slug before its random suffix.
  function base(name) {
    var out = '', sep = '';
    for (var ch of name.toLowerCase()) {
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
        if (sep && out) out += sep;
        sep = '';
        out += ch;
      } else if (ch === '_') {
        if (!sep) sep = '_';
      } else if (ch === '-' || SPACES.indexOf(ch) >= 0) {
        if (!sep) sep = '-';
      }
    }
    var room = MAX - PREFIX.length - 1 - SUFFIX;
    if (out.length > room) out = out.slice(0, room).replace(/[-_]+$/, '');
    return out === '' ? PREFIX : PREFIX + out + '-';
  }

  function code(text, cls) {
    var c = document.createElement('code');
    c.textContent = text;
    if (cls) c.className = cls;
    return c;
  }

  function update(form, out) {
    var slug = form.elements.slug.value.trim();
    var name = form.elements.name.value.trim();
    var nodes = [];
    if (slug !== '') {
      nodes.push(code(slug.indexOf(PREFIX) === 0 ? slug : PREFIX + slug));
    } else {
      nodes.push(code(name === '' ? PREFIX : base(name)), code('xxxxxx', 'random'), document.createTextNode(' '));
      var hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = '(x: six random letters and digits)';
      nodes.push(hint);
    }
    out.replaceChildren.apply(out, nodes);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('create-org-role');
    var out = document.getElementById('slug-preview');
    if (!form || !out) return;
    out.setAttribute('aria-live', 'polite');
    var err = out.parentNode.querySelector('.field-error');
    var on = function () {
      if (err) { err.remove(); err = null; }
      update(form, out);
    };
    form.elements.slug.addEventListener('input', on);
    form.elements.name.addEventListener('input', on);
  });
})();
