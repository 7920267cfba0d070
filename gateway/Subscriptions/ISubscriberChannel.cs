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

    /// <summary>
    /// The connection follows something of its own now: it stops getting the brief's default
    /// <c>price_update</c> stream, for the rest of its life. Called once its subscription set is not empty.
    /// </summary>
    void LeaveDefaultStream();
}
