package redisadapter

import (
	"context"
	"time"
)

// outgoing is a message waiting to be published.
type outgoing struct {
	channel string
	payload []byte
}

const (
	// maxBatch bounds the messages published in one pipeline.
	maxBatch = 256
	// flushTimeout bounds the publication of what is queued when the
	// adapter closes.
	flushTimeout = 2 * time.Second
)

// enqueue queues a message for the publisher without ever waiting: when
// the queue is full (Redis slow or gone) the message is dropped.
func (a *Adapter) enqueue(channel string, payload []byte) {
	select {
	case a.queue <- outgoing{channel, payload}:
	default:
		if a.dropped.Add(1) == 1 {
			a.log.Warn("redisadapter: publish queue full; dropping messages for the other servers until it drains",
				"size", cap(a.queue))
		}
	}
}

// publish is the publisher goroutine: it sends the queued messages in
// order, in pipelines of up to maxBatch. It exits when ctx ends, after a
// last flush of the queue bounded by flushTimeout.
func (a *Adapter) publish(ctx context.Context) {
	defer a.wg.Done()
	batch := make([]outgoing, 0, maxBatch)
	failing := false
	lost := 0 // messages that failed to publish while failing
	flush := func(ctx context.Context) {
		pipe := a.client.Pipeline()
		for _, m := range batch {
			pipe.Publish(ctx, m.channel, m.payload)
		}
		_, err := pipe.Exec(ctx)
		switch {
		case err != nil:
			lost += len(batch)
			if !failing {
				failing = true
				a.log.Warn("redisadapter: publish failed; broadcasts reach this server's sockets only until Redis is back",
					"err", err)
			}
		case failing:
			failing = false
			a.log.Info("redisadapter: publishing again", "lost", lost+int(a.dropped.Swap(0)))
			lost = 0
		default:
			if n := a.dropped.Swap(0); n > 0 {
				a.log.Info("redisadapter: publish queue drained", "lost", n)
			}
		}
		clear(batch)
		batch = batch[:0]
	}
	for {
		select {
		case m := <-a.queue:
			batch = a.drain(append(batch, m))
			flush(ctx)
		case <-ctx.Done():
			if batch = a.drain(batch); len(batch) > 0 {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
				flush(fctx)
				cancel()
			}
			return
		}
	}
}

// drain appends the messages already queued to batch, up to maxBatch.
func (a *Adapter) drain(batch []outgoing) []outgoing {
	for len(batch) < maxBatch {
		select {
		case m := <-a.queue:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}
