// The /docs page: Swagger UI (bundled from the swagger-ui-dist package, served by the gateway itself) on the
// gateway's own /openapi.json. No validator badge (it would call out), try-it-out sends the page's bearer token.
window.addEventListener('DOMContentLoaded', () => {
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#api',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
  });
});
