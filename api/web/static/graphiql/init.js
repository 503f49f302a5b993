// GraphiQL against this API's /graphql (HTTP and WebSocket). The token goes in the headers
// pane ({"Authorization": "Bearer …"}); GraphiQL passes the same headers as the WebSocket's
// connection_init payload, which is where the API reads it.
(function () {
  "use strict";
  const url = new URL("/graphql", window.location.href);
  const wsUrl = new URL(url);
  wsUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  let headers = {};
  const fetcher = GraphiQL.createFetcher({
    url: url.toString(),
    subscriptionUrl: wsUrl.toString(),
    wsConnectionParams: () => headers,
  });

  function onEditHeaders(text) {
    try {
      headers = text ? JSON.parse(text) : {};
    } catch (_) {
      headers = {};
    }
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      onEditHeaders: onEditHeaders,
      defaultHeaders: '{"Authorization": "Bearer <token from shopsync token create>"}',
    }),
  );
})();
