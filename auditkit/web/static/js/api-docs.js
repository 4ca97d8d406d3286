// Starts Swagger UI on the API docs page; kept out of the page because the CSP forbids inline script.
window.addEventListener("DOMContentLoaded", () => {
  const target = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: target.dataset.specUrl, domNode: target, deepLinking: true });
});
