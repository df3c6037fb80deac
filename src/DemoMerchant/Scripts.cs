namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// The scripts the demo shop serves: the token handshake between the checkout page and the card processor's iframe,
/// as Stripe Elements and similar do it (the card never enters the shop's document; the shop gets a token), and the
/// card-field test hooks of <see cref="DemoShopOptions"/>.
/// </summary>
internal static class Scripts
{
    /// <summary>Checkout page (shop origin): on submit, ask the card frame for a token, then post the form with it.</summary>
    public const string Checkout = """
        (() => {
          const form = document.querySelector('form[action="/checkout"]');
          const frame = document.querySelector('iframe[data-card-frame]');
          const cardOrigin = new URL(frame.src).origin;
          const error = document.getElementById('card-error');
          form.addEventListener('submit', event => {
            if (form.elements['card-token'].value) return;
            event.preventDefault();
            error.textContent = '';
            frame.contentWindow.postMessage({ type: 'tokenize' }, cardOrigin);
          });
          window.addEventListener('message', event => {
            if (event.origin !== cardOrigin || !event.data) return;
            if (event.data.type === 'token') {
              form.elements['card-token'].value = event.data.token;
              form.submit();
            } else if (event.data.type === 'error') {
              error.textContent = event.data.message;
            }
          });
        })();
        """;

    /// <summary>3-D Secure challenge page: asks the shop every half second whether the card holder confirmed, then goes to
    /// the order or shows the decline (a real bank's challenge frame carries on by itself the same way).</summary>
    public const string ThreeDs = """
        (() => {
          const challenge = document.querySelector('[data-testid="three-ds-challenge"]');
          const error = document.querySelector('[data-testid="payment-error"]');
          const ask = async () => {
            try {
              const response = await fetch('/checkout/3ds/status', { method: 'POST' });
              const answer = await response.json();
              if (answer.state === 'approved') { location.href = answer.next; return; }
              if (answer.state === 'declined') {
                challenge.hidden = true;
                error.textContent = answer.message;
                error.hidden = false;
                return;
              }
              if (answer.state === 'none') return;
            } catch (e) { /* the shop restarts or the network blips: ask again */ }
            setTimeout(ask, 500);
          };
          setTimeout(ask, 500);
        })();
        """;

    /// <summary>Card frame (processor origin): on the parent's request, post the card to the processor and answer with a token.</summary>
    public const string Elements = """
        (() => {
          const parentOrigin = document.body.dataset.parentOrigin;
          window.addEventListener('message', async event => {
            if (event.origin !== parentOrigin || !event.data || event.data.type !== 'tokenize') return;
            const form = document.getElementById('card-form');
            const response = await fetch('/elements/tokens', { method: 'POST', body: new URLSearchParams(new FormData(form)) });
            const answer = await response.json();
            parent.postMessage(response.ok ? { type: 'token', token: answer.token } : { type: 'error', message: answer.error }, parentOrigin);
          });
        })();
        """;

    /// <summary>
    /// Checkout page with card fields in the shop's form, when a test hook is on: <see cref="CardFieldFault.NumberMirroredIntoValueAttribute"/>
    /// (<c>data-fault="mirror"</c> on the number field) and <see cref="DemoShopOptions.AfterCardNumber"/> (<c>data-hold</c>).
    /// </summary>
    public const string CardFields = """
        (() => {
          const number = document.getElementById('card-number');
          if (!number) return;
          if (number.dataset.fault === 'mirror') {
            number.addEventListener('input', () => {
              number.setAttribute('value', number.value);
              number.disabled = true;
              const label = document.createElement('label');
              label.htmlFor = 'card-number';
              label.textContent = 'Expiry (MM/YY)';
              number.after(label);
            }, { once: true });
          }
          if (number.dataset.hold !== undefined) {
            number.addEventListener('input', async () => {
              const response = await fetch('/checkout/card-number-entered', { method: 'POST' });
              if (response.ok) document.getElementById('card-rest').hidden = false;
            }, { once: true });
          }
        })();
        """;

    /// <summary>
    /// Expiry-selects checkout: the masked card number field, as shops that format the number while it is typed. The
    /// field keeps its own digits and takes them from key presses only (each keydown is handled and its default
    /// prevented); text that arrives any other way (paste, autofill, a script or a driver setting the text) is refused
    /// and the field shows its digits again. So a buyer must type the number key by key.
    /// </summary>
    public const string CardMask = """
        (() => {
          const field = document.querySelector('input[data-masked]');
          if (!field) return;
          let digits = '';
          const show = () => { field.value = digits.replace(/(\d{4})(?=\d)/g, '$1 '); };
          field.addEventListener('keydown', event => {
            if (event.ctrlKey || event.metaKey || event.altKey) return;
            if (/^[0-9]$/.test(event.key)) {
              if (digits.length < 19) digits += event.key;
            } else if (event.key === 'Backspace') {
              digits = digits.slice(0, -1);
            } else if (event.key.length !== 1) {
              return; // Tab, Enter, arrows: the browser's own behaviour.
            }
            event.preventDefault();
            show();
          });
          field.addEventListener('beforeinput', event => event.preventDefault());
          field.addEventListener('input', show);
        })();
        """;

    /// <summary>Late-total checkout: fetch the shipping and tax quote, then show the total and enable <c>Pay now</c>.</summary>
    public const string Quote = """
        (() => {
          const total = document.querySelector('[data-quote]');
          if (!total) return;
          const pay = document.querySelector('button[data-wait-for-quote]');
          fetch(total.dataset.quote, { headers: { accept: 'application/json' } })
            .then(response => response.ok ? response.json() : Promise.reject(new Error('quote ' + response.status)))
            .then(quote => {
              total.textContent = quote.total;
              if (pay) pay.disabled = false;
            })
            .catch(() => { total.textContent = 'Shipping could not be calculated. Reload the page.'; });
        })();
        """;

    /// <summary>Consent wall: accept without leaving the page (the form's plain POST is the fallback).</summary>
    public const string Consent = """
        (() => {
          const wall = document.querySelector('[data-consent-wall]');
          if (!wall) return;
          const form = wall.querySelector('form');
          form.addEventListener('submit', async event => {
            event.preventDefault();
            const response = await fetch(form.action, { method: 'POST' });
            if (response.ok) wall.remove(); else form.submit();
          });
        })();
        """;

    /// <summary>Newsletter modal: show it a moment after the checkout form loads; "No thanks" closes it for the visit.</summary>
    public const string Newsletter = """
        (() => {
          const modal = document.querySelector('[data-newsletter]');
          if (!modal) return;
          setTimeout(() => { modal.hidden = false; }, Number(modal.dataset.delayMs) || 0);
          modal.querySelector('button').addEventListener('click', () => {
            document.cookie = 'dcs_newsletter=dismissed; path=/; SameSite=Lax';
            modal.remove();
          });
        })();
        """;
}
