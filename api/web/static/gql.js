// A tiny GraphQL client: queries over fetch (Bearer header) and subscriptions over one
// WebSocket speaking graphql-transport-ws (token in the connection_init payload, never in a URL).

const ENDPOINT = "/graphql";

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code;
  }
}

export class Client {
  constructor(token) {
    this.token = token;
    this.socket = null;
    this.acked = null;
    this.nextId = 1;
    this.sinks = new Map();
  }

  async request(query, variables = {}) {
    const response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    let body;
    try {
      body = await response.json();
    } catch (_) {
      throw new GraphQLError([{ message: `HTTP ${response.status}` }]);
    }
    if (body.errors?.length) throw new GraphQLError(body.errors);
    if (!response.ok) throw new GraphQLError([{ message: `HTTP ${response.status}` }]);
    return body.data;
  }

  // Resolves once the server acknowledged connection_init; one socket for every subscription.
  connect() {
    if (this.acked) return this.acked;
    const url = new URL(ENDPOINT, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    this.acked = new Promise((resolve, reject) => {
      socket.onopen = () =>
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: { Authorization: `Bearer ${this.token}` },
          }),
        );
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        const sink = this.sinks.get(message.id);
        switch (message.type) {
          case "connection_ack":
            resolve();
            break;
          case "ping":
            socket.send(JSON.stringify({ type: "pong" }));
            break;
          case "next":
            if (message.payload.errors?.length) sink?.error(new GraphQLError(message.payload.errors));
            else sink?.next(message.payload.data);
            break;
          case "error":
            this.sinks.delete(message.id);
            sink?.error(new GraphQLError(message.payload));
            break;
          case "complete":
            this.sinks.delete(message.id);
            sink?.complete();
            break;
        }
      };
      socket.onclose = (event) => {
        reject(new GraphQLError([{ message: `connection closed (${event.code})` }]));
        for (const sink of this.sinks.values()) sink.error(new GraphQLError([{ message: "connection closed" }]));
        this.sinks.clear();
        this.socket = null;
        this.acked = null;
      };
    });
    return this.acked;
  }

  // sink: {next(data), error(err), complete()}; returns a function that unsubscribes.
  subscribe(query, variables, sink) {
    const id = String(this.nextId++);
    let active = true;
    this.sinks.set(id, sink);
    this.connect()
      .then(() => {
        if (active && this.socket)
          this.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
      })
      .catch((err) => {
        if (this.sinks.delete(id)) sink.error(err);
      });
    return () => {
      active = false;
      if (this.sinks.delete(id) && this.socket?.readyState === WebSocket.OPEN)
        this.socket.send(JSON.stringify({ id, type: "complete" }));
    };
  }

  close() {
    this.socket?.close(1000);
  }
}
