// Stripe Payment Element on the pay page (loaded only there; no inline script, so the CSP needs no 'unsafe-inline').
(function () {
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({clientSecret: form.dataset.clientSecret});
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    stripe.confirmPayment({elements: elements, confirmParams: {return_url: form.dataset.returnUrl}}).then(function (result) {
      if (result.error) { var box = document.getElementById("payment-message"); box.textContent = result.error.message; box.hidden = false; }
    });
  });
})();
