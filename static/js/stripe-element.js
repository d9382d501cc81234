// Stripe's Payment Element on the pay page (confirm a payment) and the cards page (save a card for later).
// The form says which: data-stripe-confirm="payment" | "setup". Loaded only on those pages; no inline script.
(function () {
  var form = document.querySelector("form[data-stripe-confirm]");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({clientSecret: form.dataset.clientSecret});
  var confirm = form.dataset.stripeConfirm === "setup" ? stripe.confirmSetup : stripe.confirmPayment;
  elements.create("payment").mount(form.querySelector("[data-payment-element]"));
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    confirm.call(stripe, {elements: elements, confirmParams: {return_url: form.dataset.returnUrl}}).then(function (result) {
      if (result.error) { var box = form.querySelector("[data-stripe-message]"); box.textContent = result.error.message; box.hidden = false; }
    });
  });
})();
