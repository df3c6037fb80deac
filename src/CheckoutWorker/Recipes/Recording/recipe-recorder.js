// Injected by `checkout-agent recipe record` into every frame of the recording browser. It reports what the person
// does (clicks, fills, selects, checks) with ways to find each element, as a person reads them, counted in the page.
// A fill's value goes to the recorder once, through the binding, where it is classified and dropped at once: nothing
// here stores, logs or echoes it.
const send = (event) => { try { window.__caRecord(JSON.stringify(event)); } catch (e) { /* the binding is gone: the recording ended */ } };
const now = () => performance.timeOrigin + performance.now();
const shadowHost = (el) => {
  const root = rootOf(el);
  if (!(root instanceof ShadowRoot)) return null;
  const host = root.host;
  const tag = host.localName;
  if (tag.includes('-') && rootOf(host).querySelectorAll(tag).length === 1) return tag;
  return cssOf(host);
};
const hints = (el) => ({
  label: labelOf(el), name: el.getAttribute('name'), id: el.id || null, autocomplete: el.getAttribute('autocomplete'),
  inputType: inputType(el), placeholder: el.getAttribute('placeholder'),
  formHasPassword: !!(el.form ? el.form.querySelector('input[type=password]') : rootOf(el).querySelector('input[type=password]')),
});
const money = /^(?:[A-Z]{3}\s?)?[$€£¥]?\s?\d{1,3}(?:[,.\s]?\d{3})*(?:[.,]\d{1,2})?\s?(?:[$€£¥]|[A-Z]{3})?$/;
const hasCurrency = /[$€£¥]|\b[A-Z]{3}\b/;
// The element most like the order total: a leaf holding one amount, best with "total" in its test id, id or the
// text around it (not a subtotal), the last one on the page winning ties. Only one findable by test id or id.
const totalNearby = () => {
  let best = null; let bestScore = -1;
  for (const el of everywhere(document, 'body *')) {
    if (el.children.length || !visible(el)) continue;
    const text = norm(el.textContent);
    if (!money.test(text) || !hasCurrency.test(text)) continue;
    const own = ((el.getAttribute('data-testid') || '') + ' ' + el.id + ' ' + el.className).toLowerCase();
    const around = norm(el.parentElement ? el.parentElement.textContent : '').toLowerCase();
    let score = 0;
    if (own.includes('total')) score += 3;
    if (around.includes('total')) score += 2;
    if (own.includes('sub') || around.includes('subtotal')) score -= 2;
    if (score >= bestScore && (el.getAttribute('data-testid') || el.id)) { best = el; bestScore = score; }
  }
  if (!best || bestScore <= 0) return null;
  return best.getAttribute('data-testid') ? { testId: best.getAttribute('data-testid') } : { css: '#' + cssEscape(best.id) };
};
const targetOf = (event) => (event.composedPath && event.composedPath()[0]) || event.target;
const isTextField = (el) => el.localName === 'textarea' || (el.localName === 'input' && !isButtonInput(el) && !['checkbox', 'radio', 'file', 'hidden', 'range', 'color'].includes(inputType(el)));
const inDialog = (el) => !!el.closest('dialog,[role=dialog],[role=alertdialog],[aria-modal=true]');

document.addEventListener('click', (event) => {
  let el = targetOf(event);
  if (!(el instanceof Element)) return;
  if (el.closest('label') || el.localName === 'option' || el.localName === 'select' || isTextField(el)) return; // the change says it
  if (el.localName === 'input' && ['checkbox', 'radio'].includes(inputType(el))) return;
  const actionable = el.closest('button,a[href],input,[role=button],[role=link],[role=menuitem],[role=tab],[role=option],summary');
  if (actionable) el = actionable;
  else if (!el.hasAttribute('onclick') && getComputedStyle(el).cursor !== 'pointer') return;
  send({ type: 'action', kind: 'click', at: now(), candidates: candidates(el, false), shadow: shadowHost(el), inDialog: inDialog(el), total: window === window.top ? totalNearby() : null });
}, true);

const onValue = (event) => {
  const el = targetOf(event);
  if (!(el instanceof Element)) return;
  if (el.localName === 'select') {
    if (event.type !== 'change') return;
    send({ type: 'action', kind: 'select', at: now(), candidates: candidates(el, true), shadow: shadowHost(el), hints: hints(el), value: el.value });
  } else if (el.localName === 'input' && ['checkbox', 'radio'].includes(inputType(el))) {
    if (event.type !== 'change') return;
    send({ type: 'action', kind: 'check', at: now(), candidates: candidates(el, true), shadow: shadowHost(el), checked: el.checked });
  } else if (isTextField(el)) {
    send({ type: 'action', kind: 'fill', at: now(), candidates: candidates(el, true), shadow: shadowHost(el), hints: hints(el), value: el.value });
  }
};
document.addEventListener('input', onValue, true);
document.addEventListener('change', onValue, true);

// The confirmation page: an order-number-like text (letters and digits, with a digit) in an element whose test id,
// id or surrounding text says "order", "confirmation" or "reference". Looked for when the top page has loaded.
const orderLike = /^#?(?=.*[\d-])[A-Z0-9][A-Z0-9-]{4,}$/;
const findConfirmation = () => {
  for (const el of everywhere(document, 'body *')) {
    if (el.children.length || !visible(el)) continue;
    const text = norm(el.textContent);
    if (!orderLike.test(text)) continue;
    const own = ((el.getAttribute('data-testid') || '') + ' ' + el.id).toLowerCase();
    const around = norm(el.parentElement ? el.parentElement.textContent : '').toLowerCase();
    if (!/order|confirm|reference/.test(own + ' ' + around)) continue;
    const locate = (e) => (e.getAttribute('data-testid') ? { testId: e.getAttribute('data-testid') } : e.id ? { css: '#' + cssEscape(e.id) } : null);
    const order = locate(el);
    if (!order) continue;
    let charged = null;
    for (const c of everywhere(document, '[data-testid],[id]')) {
      const key = ((c.getAttribute('data-testid') || '') + ' ' + c.id).toLowerCase();
      if (c !== el && /charged|total|amount/.test(key) && money.test(norm(c.textContent))) { charged = locate(c); break; }
    }
    return { orderNumber: order, charged };
  }
  return null;
};
if (window === window.top) {
  const report = () => send({ type: 'page', at: now(), url: location.href, title: document.title, confirmation: findConfirmation() });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', report); else report();
}
