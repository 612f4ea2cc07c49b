// The sandbox's TEST MODE checkout: posts what the tester chose, then hands the signed result
// back like Razorpay Checkout's handler (to `return_url` when one was given).
(function () {
  const main = document.querySelector("main");
  const target = {
    order_id: main.dataset.orderId || null,
    subscription_id: main.dataset.subscriptionId || null,
  };
  const returnUrl = main.dataset.returnUrl || "";
  const result = document.getElementById("result");
  async function choose(action) {
    for (const b of document.querySelectorAll("button")) b.disabled = true;
    const response = await fetch("/api/v1/billing/sandbox/checkout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ action: action }, target)),
    });
    const body = await response.json();
    result.textContent = JSON.stringify(body, null, 2);
    if (response.ok && returnUrl) {
      const next = new URL(returnUrl, window.location.origin);
      for (const [key, value] of Object.entries(body)) {
        if (value !== null) next.searchParams.set(key, value);
      }
      window.location.assign(next.toString());
    }
  }
  for (const action of ["pay", "fail", "cancel"]) {
    document.getElementById(action).addEventListener("click", () => choose(action));
  }
})();
