using System.Collections.Frozen;
using System.Text.Json;

namespace IExecChain.Rpc.Subscriptions;

/// <summary>
/// In-process events the node publishes and WebSocket clients subscribe to (iex_subscribe).
/// </summary>
/// <remarks>
/// Publishing never waits: an event is serialized once, then queued on each matching
/// subscriber's connection; a connection whose queue is full is disconnected instead of slowing
/// the publisher down. With no subscriber on the topic, publishing is a dictionary lookup and an
/// array length check, and <see cref="HasSubscribers"/> lets a publisher skip building the
/// event at all. Publishers may call from any thread; events of one topic published from one
/// thread reach each subscriber in order.
/// </remarks>
public sealed class RpcEventHub
{
    private readonly FrozenDictionary<string, TopicEntry> _topics;
    private readonly Lock _lock = new();
    private long _notificationsQueued;

    /// <summary>A hub with the node's topics: <see cref="RpcTopic.NewHeads"/> and <see cref="RpcTopic.Tasks"/>.</summary>
    public RpcEventHub()
        : this(RpcTopic.NewHeads, RpcTopic.Tasks)
    {
    }

    public RpcEventHub(params RpcTopic[] topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Length == 0) throw new ArgumentException("a hub needs at least one topic", nameof(topics));
        var entries = new Dictionary<string, TopicEntry>(StringComparer.Ordinal);
        foreach (RpcTopic topic in topics)
        {
            if (!entries.TryAdd(topic.Name, new TopicEntry(topic)))
                throw new ArgumentException($"topic '{topic.Name}' is listed twice", nameof(topics));
        }
        _topics = entries.ToFrozenDictionary(StringComparer.Ordinal);
        Topics = [.. topics];
        KnownTopicList = string.Join(", ", topics.Select(t => t.Name));
    }

    public IReadOnlyList<RpcTopic> Topics { get; }

    /// <summary>Active subscriptions over all topics.</summary>
    public int SubscriberCount
    {
        get
        {
            int count = 0;
            foreach (TopicEntry entry in _topics.Values) count += entry.Subscribers.Length;
            return count;
        }
    }

    /// <summary>Notifications queued on connections since the hub was created (one event to three subscribers counts three).</summary>
    public long NotificationsQueued => Interlocked.Read(ref _notificationsQueued);

    internal string KnownTopicList { get; }

    /// <exception cref="ArgumentException">The topic is not one of <see cref="Topics"/>.</exception>
    public int CountSubscribers(string topic) => Find(topic).Subscribers.Length;

    /// <exception cref="ArgumentException">The topic is not one of <see cref="Topics"/>.</exception>
    public bool HasSubscribers(string topic) => Find(topic).Subscribers.Length > 0;

    /// <summary>
    /// Sends <paramref name="payload"/>, serialized once as the RPC results are (camelCase, null
    /// members left out, hashes and addresses as 0x-hex), to every subscriber of the topic whose
    /// filter it matches. It must serialize to a JSON object.
    /// </summary>
    /// <returns>How many subscriptions it was queued for.</returns>
    /// <exception cref="ArgumentException">Unknown topic, or a payload that is not a JSON object.</exception>
    public int Publish(string topic, object payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        TopicEntry entry = Find(topic);
        Subscription[] subscribers = entry.Subscribers;
        if (subscribers.Length == 0) return 0;
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(payload, payload.GetType(), RpcResponseWriter.SerializerOptions);
        return Deliver(entry.Topic, subscribers, json);
    }

    /// <summary>Like <see cref="Publish"/>, for an event already serialized: one UTF-8 JSON object, copied only when someone subscribes.</summary>
    /// <exception cref="ArgumentException">Unknown topic, or <paramref name="utf8Json"/> is not one JSON object.</exception>
    public int PublishJson(string topic, ReadOnlySpan<byte> utf8Json)
    {
        TopicEntry entry = Find(topic);
        Subscription[] subscribers = entry.Subscribers;
        if (subscribers.Length == 0) return 0;
        return Deliver(entry.Topic, subscribers, utf8Json.ToArray());
    }

    internal bool TryFindTopic(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RpcTopic? topic)
    {
        bool found = _topics.TryGetValue(name, out TopicEntry? entry);
        topic = entry?.Topic;
        return found;
    }

    internal void Add(Subscription subscription)
    {
        TopicEntry entry = Find(subscription.Topic.Name);
        lock (_lock)
        {
            // Copy-on-write: publishers read the array without a lock.
            entry.Subscribers = [.. entry.Subscribers, subscription];
        }
    }

    internal void Remove(Subscription subscription)
    {
        TopicEntry entry = Find(subscription.Topic.Name);
        lock (_lock)
        {
            Subscription[] current = entry.Subscribers;
            int index = Array.IndexOf(current, subscription);
            if (index < 0) return;
            var next = new Subscription[current.Length - 1];
            current.AsSpan(0, index).CopyTo(next);
            current.AsSpan(index + 1).CopyTo(next.AsSpan(index));
            entry.Subscribers = next;
        }
    }

    private int Deliver(RpcTopic topic, Subscription[] subscribers, byte[] json)
    {
        string?[] fields = EventFilter.ReadFields(json, topic);
        int queued = 0;
        foreach (Subscription subscription in subscribers)
        {
            if (subscription.Filter is { } filter && !filter.Matches(fields)) continue;
            if (subscription.Connection.TryEnqueueNotification(subscription, json)) queued++;
        }
        if (queued > 0) Interlocked.Add(ref _notificationsQueued, queued);
        return queued;
    }

    private TopicEntry Find(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return _topics.TryGetValue(topic, out TopicEntry? entry)
            ? entry
            : throw new ArgumentException($"unknown topic '{topic}'; known topics: {KnownTopicList}", nameof(topic));
    }

    private sealed class TopicEntry(RpcTopic topic)
    {
        public RpcTopic Topic { get; } = topic;

        private volatile Subscription[] _subscribers = [];

        public Subscription[] Subscribers
        {
            get => _subscribers;
            set => _subscribers = value;
        }
    }
}
