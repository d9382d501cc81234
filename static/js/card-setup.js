// Stripe Payment Element on the cards page: save a card for later (SetupIntent). No inline script: the CSP allows none.
(function () {
  var form = document.getElementById("setup-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({clientSecret: form.dataset.clientSecret});
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    stripe.confirmSetup({elements: elements, confirmParams: {return_url: form.dataset.returnUrl}}).then(function (result) {
      if (result.error) { var box = document.getElementById("setup-message"); box.textContent = result.error.message; box.hidden = false; }
    });
  });
})();
