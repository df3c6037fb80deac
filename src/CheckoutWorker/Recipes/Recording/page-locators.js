// Shared by recipe record (recipe-recorder.js) and the locator suggestions of a failed step (locator-suggestions.js):
// how a person would name an element (role and accessible name, label, test id; CSS last), and how many elements of
// its document each of those names matches. Reads labels, names and attributes, never an input's value.
const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
const visible = (el) => { if (!el.getClientRects().length) return false; const st = getComputedStyle(el); return st.visibility !== 'hidden' && !el.closest('[aria-hidden="true"]'); };
const textOf = (el) => {
  const clone = el.cloneNode(true);
  clone.querySelectorAll('select,textarea,input,script,style,option').forEach((n) => n.remove());
  return norm(clone.textContent);
};
const rootOf = (el) => el.getRootNode();
const everywhere = (root, selector) => {
  const found = Array.from(root.querySelectorAll(selector));
  for (const host of root.querySelectorAll('*')) if (host.shadowRoot) found.push(...everywhere(host.shadowRoot, selector));
  return found;
};
const byId = (root, id) => (root.getElementById ? root.getElementById(id) : document.getElementById(id));
const ariaName = (el) => {
  const by = el.getAttribute('aria-labelledby');
  if (by) return norm(by.split(/\s+/).map((id) => { const n = byId(rootOf(el), id); return n ? textOf(n) : ''; }).join(' ')) || null;
  const label = el.getAttribute('aria-label');
  return label ? norm(label) : null;
};
const labelOf = (el) => {
  const a = ariaName(el);
  if (a) return a;
  if (el.labels && el.labels.length) return textOf(el.labels[0]) || null;
  return null;
};
const inputType = (el) => (el.localName === 'input' ? (el.getAttribute('type') || 'text').toLowerCase() : null);
const isButtonInput = (el) => ['submit', 'button', 'reset', 'image'].includes(inputType(el));
const roleOf = (el) => {
  const explicit = el.getAttribute('role');
  if (explicit) return explicit.split(/\s+/)[0];
  const tag = el.localName;
  if (tag === 'button' || (tag === 'input' && isButtonInput(el))) return 'button';
  if (tag === 'a' && el.hasAttribute('href')) return 'link';
  if (tag === 'select') return el.multiple ? 'listbox' : 'combobox';
  if (tag === 'textarea') return 'textbox';
  if (tag === 'input') {
    const type = inputType(el);
    if (type === 'checkbox' || type === 'radio') return type;
    if (type === 'number') return 'spinbutton';
    if (['text', 'email', 'tel', 'url', 'search', 'password'].includes(type)) return type === 'password' ? null : 'textbox';
  }
  if (/^h[1-6]$/.test(tag)) return 'heading';
  return null;
};
const nameOf = (el, role) => {
  const a = ariaName(el);
  if (a) return a;
  if (['textbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton'].includes(role)) return labelOf(el) || norm(el.getAttribute('title')) || null;
  // A submit input's label is its value attribute: the page's text, never something typed.
  if (el.localName === 'input' && isButtonInput(el)) return norm(el.getAttribute('value')) || (inputType(el) === 'submit' ? 'Submit' : null);
  return textOf(el) || norm(el.getAttribute('title')) || null;
};
const controls = 'a[href],button,input,select,textarea,[role],h1,h2,h3,h4,h5,h6';
const countRole = (root, role, name) => everywhere(root, controls).filter((e) => visible(e) && roleOf(e) === role && nameOf(e, role) === name).length;
const countLabel = (root, label) => everywhere(root, 'input,select,textarea,[role]').filter((e) => visible(e) && labelOf(e) === label).length;
const cssEscape = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s);
const cssOf = (el) => {
  const root = rootOf(el);
  if (el.id && root.querySelectorAll('#' + cssEscape(el.id)).length === 1) return '#' + cssEscape(el.id);
  const named = el.getAttribute('name');
  if (named) { const s = `${el.localName}[name="${named.replace(/"/g, '\\"')}"]`; if (root.querySelectorAll(s).length === 1) return s; }
  const path = [];
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    let part = e.localName;
    if (e !== el && e.id && root.querySelectorAll('#' + cssEscape(e.id)).length === 1) { path.unshift('#' + cssEscape(e.id)); break; }
    const same = e.parentElement ? Array.from(e.parentElement.children).filter((c) => c.localName === e.localName) : [];
    if (same.length > 1) part += `:nth-of-type(${same.indexOf(e) + 1})`;
    path.unshift(part);
  }
  return path.join(' > ');
};
const candidates = (el, field) => {
  const root = rootOf(el);
  const out = [];
  const role = roleOf(el);
  const name = role ? nameOf(el, role) : null;
  const label = field ? labelOf(el) : null;
  const byRole = role && name ? { role, name, matches: countRole(root, role, name) } : null;
  const byLabel = label ? { label, matches: countLabel(root, label) } : null;
  if (field) { if (byLabel) out.push(byLabel); if (byRole) out.push(byRole); } else if (byRole) out.push(byRole);
  const testId = el.getAttribute('data-testid');
  if (testId) out.push({ testId, matches: root.querySelectorAll(`[data-testid="${testId.replace(/"/g, '\\"')}"]`).length });
  const css = cssOf(el);
  let cssMatches = 0;
  try { cssMatches = root.querySelectorAll(css).length; } catch (e) { cssMatches = 0; }
  out.push({ css, matches: cssMatches });
  return out;
};
