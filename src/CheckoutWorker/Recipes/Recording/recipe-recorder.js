// Injected by `checkout-agent recipe record` into every frame of the recording browser. It reports what the person
// does (clicks, fills, selects, checks) with ways to find each element, as a person reads them, counted in the page.
// A fill's value goes to the recorder once, through the binding, where it is classified and dropped at once: nothing
// here stores, logs or echoes it.
(() => {
  if (window.__caRecorderInstalled) return;
  window.__caRecorderInstalled = true;
  const send = (event) => { try { window.__caRecord(JSON.stringify(event)); } catch (e) { /* the binding is gone: the recording ended */ } };
  const now = () => performance.timeOrigin + performance.now();
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
})();
