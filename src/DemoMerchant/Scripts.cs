namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// The only script the demo shop serves: the token handshake between the checkout page and the card processor's
/// iframe, as Stripe Elements and similar do it. The card never enters the shop's document; the shop gets a token.
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
}
