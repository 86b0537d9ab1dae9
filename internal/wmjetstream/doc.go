// Package wmjetstream owns the watermill Publisher and Subscriber that read
// and write the event log through the nats.go jetstream package, with
// durable pull consumers and explicit acks.
//
// It exists because the ready-made adapter loses work in ways a helpline
// cannot accept (shared/NOTES.md, "watermill with JetStream"):
// watermill-nats/v2/pkg/jetstream creates consumers with a Name and no
// Durable, so the server deletes them after 5 s idle and a restarted service
// starts over from its DeliverPolicy; it never calls its ConfigureConsumer
// hook; its publisher publishes to the stream name rather than the topic;
// and watermill-nats/v2/pkg/nats acks after the callback unless ManualAck is
// passed, so a handler that times out has its message acked and lost.
//
// What this package does instead:
//
//   - Subscribe creates (or updates) one durable pull consumer per topic and
//     consumer group, with AckExplicit, AckWait, MaxDeliver, BackOff and a
//     filter subject. A new Subscriber with the same durable name resumes
//     after the last acked message, however long it was away.
//   - Messages go to the channel one at a time, in stream order: the next is
//     sent after the previous one was acked or nacked. An ack's confirmation
//     (DoubleAck) is awaited in the background, not before the next message;
//     Close waits for them, so when it returns the acks given before it have
//     reached the server. A nack asks for redelivery after
//     NackDelay (or the BackOff step). While a handler holds a message, the
//     subscriber sends InProgress every third of the message's ack wait, so
//     a slow handler is not redelivered to another instance mid-flight; a
//     hung handler therefore holds its message until the subscriber closes.
//     Closing nacks the messages a subscription holds, so that another
//     instance gets them at once.
//   - Each message carries its delivery's stream sequence, delivery count
//     and subject in its metadata (MetadataStreamSeq and the other
//     Metadata* keys): handlers make themselves idempotent on the stream
//     sequence.
//   - Publish waits for the PubAck and sets Nats-Msg-Id to subject + ":" +
//     UUID, so a retried publish is stored once within the stream's dedupe
//     window, while the same message republished to another topic (as the
//     poison queue does) is stored again.
//   - HeaderMarshaler carries the UUID in the _watermill_message_uuid header
//     and each metadata entry in a header of its own name; the payload is
//     the message body.
//
// Delivery is at least once. A message is redelivered when its handler
// nacks, when its subscriber closes while the handler still holds it, when
// an ack is lost, or when a process dies mid-handler; after MaxDeliver
// deliveries the server stops redelivering it (it stays in the stream).
package wmjetstream
