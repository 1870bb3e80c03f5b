// Package faults injects network and service faults between an SQS or SNS
// client and the server it talks to, to test what the library guarantees
// when the network and the service misbehave.
//
// A [Proxy] is an HTTP reverse proxy on a loopback address. Point a client
// at its URL (sqs.WithEndpoint(proxy.URL())) and it forwards every request
// to the server, byte for byte, unless a fault applies. It reads the API
// action of each request from the X-Amz-Target header (AWS JSON 1.0, as
// aws-sdk-go-v2's SQS client speaks it) or from the Action parameter of a
// form body (the query protocol of SNS and of older SQS clients), so faults
// can target actions: "ReceiveMessage", "DeleteMessageBatch", "Publish"...
//
// Faults, installed with [Proxy.Inject] as [Rule]s (or for a window of
// time with [Proxy.Schedule]), apply to the requests of the actions they
// name, to each with a probability, and to a limited number of requests if
// wanted:
//   - [Latency] waits before forwarding, [SlowAnswer] after the server
//     answered (the request took effect before the client knows it);
//   - [Throttle] answers HTTP 400 with a throttling error in the shape of
//     the request's protocol (ThrottlingException or RequestThrottled in
//     AWS JSON, Throttling in the query protocol's XML), which AWS SDKs
//     retry with backoff;
//   - [ServerError] answers 500 or 503 with an InternalError or
//     ServiceUnavailable body, also retried by SDKs;
//   - [Reset] resets the connection (TCP RST) before the request reaches
//     the server, [ResetAfter] after the server has acted on it, so that
//     the request took effect and its answer is lost.
//
// [Proxy.Blackhole] makes the network disappear for a while: in
// [Hang] mode the proxy accepts connections and requests and never
// answers those it took during the window, not even when the window ends
// (a connection whose packets are lost stays silent until the client
// gives up on it); answers the server gives during the window are lost
// too. In [DeliverLate] mode held requests are forwarded when the window
// ends, as TCP retransmission delivers them once a partition heals. In
// [Refuse] mode the proxy closes its connections and refuses new ones.
//
// A Proxy counts the requests it sees and the faults it injects, per
// action. Its methods are safe for concurrent use.
package faults
