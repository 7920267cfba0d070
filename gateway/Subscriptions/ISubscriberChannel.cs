namespace OrleansPrices.Gateway.Subscriptions;

/// <summary>What the subscription hub needs of a connection: a way to hand it messages.</summary>
public interface ISubscriberChannel
{
    long Id { get; }

    /// <summary>
    /// Queues a message. False when the connection's bounded queue is full: nothing was queued,
    /// and the hub will be asked for a catch-up once the queue drains.
    /// </summary>
    bool TryPush(byte[] json);
}
