using System.Text;
using IExecChain.Core.Crypto;

namespace IExecChain.Node.Devnet;

/// <summary>
/// Well-known development keys, derived as keccak256("iexecchain-devnet/&lt;role&gt;/&lt;index&gt;"). They are
/// public by construction: anything they hold on a real network is anyone's.
/// </summary>
public static class DevKeys
{
    public const string Password = "devnet";

    public static PrivateKey Validator(int index) => Derive("validator", index);

    public static PrivateKey Account(int index) => Derive("account", index);

    public static PrivateKey Worker(int index) => Derive("worker", index);

    /// <summary>The demo market's parties: 0 app owner, 1 pool owner, 2 requester.</summary>
    public static PrivateKey Market(int index) => Derive("market", index);

    /// <summary>The bridge demo's account: RLC on Ethereum, crosses to the sidechain and back.</summary>
    public static PrivateKey Bridge(int index) => Derive("bridge", index);

    private static PrivateKey Derive(string role, int index) =>
        new(Keccak256.HashToArray(Encoding.ASCII.GetBytes($"iexecchain-devnet/{role}/{index}")));
}
