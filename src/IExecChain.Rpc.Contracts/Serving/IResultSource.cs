using IExecChain.Core.Primitives;
using IExecChain.Core.Results;

namespace IExecChain.Rpc.Contracts.Serving;

/// <summary>What iex_getResult serves from: the results of the tasks a worker ran.</summary>
public interface IResultSource
{
    /// <summary>The stored result, or null when there is none; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    StoredResult? TryGet(Hash256 taskId);
}
