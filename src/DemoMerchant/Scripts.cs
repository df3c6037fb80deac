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
}
