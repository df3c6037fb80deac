// Every way a person could name the visible elements of this document: role and accessible name, label, test id,
// and (when the broken locator was a text one) the short texts of leaf elements. For a failed step's suggestions.
// Never reads an input's value.
const out = [];
const seen = new Set();
const add = (c) => { const key = JSON.stringify(c); if (!seen.has(key)) { seen.add(key); out.push(c); } };
for (const el of everywhere(document, controls + ',[data-testid]')) {
  if (!visible(el)) continue;
  const role = roleOf(el);
  if (role && role !== 'heading') { const name = nameOf(el, role); if (name && name.length <= 120) add({ role, name }); }
  if (['input', 'select', 'textarea'].includes(el.localName)) { const label = labelOf(el); if (label && label.length <= 120) add({ label }); }
  const testId = el.getAttribute('data-testid');
  if (testId) add({ testId });
}
if (wantText) {
  for (const el of everywhere(document, 'body *')) {
    if (el.children.length || !visible(el) || ['script', 'style', 'input', 'textarea', 'select', 'option'].includes(el.localName)) continue;
    const text = norm(el.textContent);
    if (text && text.length <= 80) add({ text });
  }
}
return out;
