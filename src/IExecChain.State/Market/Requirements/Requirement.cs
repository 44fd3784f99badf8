namespace IExecChain.State.Market.Requirements;

/// <summary>Three-valued logic of ClassAd: a requirement holds only when it evaluates to <see cref="True"/>.</summary>
public enum Truth : byte
{
    False = 0,
    True = 1,
    Undefined = 2,
}

/// <summary>
/// A requirements expression (simplified ClassAd), parsed once into a compact post-order node
/// array. Bare names refer to the side that owns the expression (<c>my.</c> says so explicitly),
/// <c>other.</c> names refer to the side it is matched against. See docs/market.md for the
/// grammar and the semantics of undefined attributes.
/// </summary>
public sealed class Requirement
{
    public const int MaxLength = 1024;
    public const int MaxNodes = 64;
    public const int MaxDepth = 16;

    /// <summary>The empty expression: always true, costs nothing to evaluate.</summary>
    public static readonly Requirement Always = new(string.Empty, [], -1);

    private readonly RequirementNode[] _nodes;
    private readonly int _root;

    internal Requirement(string source, RequirementNode[] nodes, int root)
    {
        Source = source;
        _nodes = nodes;
        _root = root;
    }

    public string Source { get; }

    public int NodeCount => _nodes.Length;

    public static Requirement Parse(string text)
    {
        if (!TryParse(text, out var requirement, out var error)) throw new FormatException(error!.ToString());
        return requirement;
    }

    public static bool TryParse(string? text, out Requirement requirement, out RequirementError? error) =>
        RequirementParser.TryParse(text ?? string.Empty, out requirement, out error);

    /// <summary>True only when the expression evaluates to <see cref="Truth.True"/>.</summary>
    public bool IsSatisfied(AttributeSet own, AttributeSet other)
    {
        int cost = 0;
        return Evaluate(own, other, ref cost) == Truth.True;
    }

    /// <summary>Evaluates against two attribute sets; adds the number of nodes visited to <paramref name="cost"/>.</summary>
    public Truth Evaluate(AttributeSet own, AttributeSet other, ref int cost) =>
        _root < 0 ? Truth.True : Condition(_root, own, other, ref cost);

    private Truth Condition(int index, AttributeSet own, AttributeSet other, ref int cost)
    {
        cost++;
        ref readonly var node = ref _nodes[index];
        switch (node.Op)
        {
            case NodeOp.And:
            {
                var left = Condition(node.Left, own, other, ref cost);
                if (left == Truth.False) return Truth.False;
                var right = Condition(node.Right, own, other, ref cost);
                if (right == Truth.False) return Truth.False;
                return left == Truth.True && right == Truth.True ? Truth.True : Truth.Undefined;
            }
            case NodeOp.Or:
            {
                var left = Condition(node.Left, own, other, ref cost);
                if (left == Truth.True) return Truth.True;
                var right = Condition(node.Right, own, other, ref cost);
                if (right == Truth.True) return Truth.True;
                return left == Truth.False && right == Truth.False ? Truth.False : Truth.Undefined;
            }
            case NodeOp.Not:
            {
                var inner = Condition(node.Left, own, other, ref cost);
                return inner == Truth.Undefined ? Truth.Undefined : inner == Truth.True ? Truth.False : Truth.True;
            }
            case NodeOp.Truthy:
            {
                if (!Operand(node.Left, own, other, ref cost, out var value) || value.Kind != AttributeKind.Bool) return Truth.Undefined;
                return value.Number != 0 ? Truth.True : Truth.False;
            }
            default:
                return Compare(node.Op, node.Left, node.Right, own, other, ref cost);
        }
    }

    private Truth Compare(NodeOp op, int leftIndex, int rightIndex, AttributeSet own, AttributeSet other, ref int cost)
    {
        if (!Operand(leftIndex, own, other, ref cost, out var a) || !Operand(rightIndex, own, other, ref cost, out var b)) return Truth.Undefined;
        if (a.Kind != b.Kind) return Truth.Undefined;
        int c;
        if (a.Kind == AttributeKind.String)
        {
            if (op is not (NodeOp.Eq or NodeOp.Ne)) return Truth.Undefined;
            c = string.Equals(a.Text, b.Text, StringComparison.Ordinal) ? 0 : 1;
        }
        else
        {
            if (a.Kind == AttributeKind.Bool && op is not (NodeOp.Eq or NodeOp.Ne)) return Truth.Undefined;
            c = a.Number.CompareTo(b.Number);
        }
        bool result = op switch
        {
            NodeOp.Eq => c == 0,
            NodeOp.Ne => c != 0,
            NodeOp.Lt => c < 0,
            NodeOp.Le => c <= 0,
            NodeOp.Gt => c > 0,
            _ => c >= 0,
        };
        return result ? Truth.True : Truth.False;
    }

    private bool Operand(int index, AttributeSet own, AttributeSet other, ref int cost, out AttributeValue value)
    {
        cost++;
        ref readonly var node = ref _nodes[index];
        if (node.Op == NodeOp.Literal) { value = node.Literal; return true; }
        return (node.Op == NodeOp.OtherRef ? other : own).TryGet(node.Name!, out value);
    }

    public override string ToString() => Source;
}

/// <summary>Why and where a requirements expression was refused (position is a 0-based character offset).</summary>
public sealed record RequirementError(int Position, string Reason)
{
    public override string ToString() => $"requirements: {Reason} at position {Position}";
}

internal enum NodeOp : byte
{
    Literal,
    OwnRef,
    OtherRef,
    Truthy,
    Not,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

internal readonly record struct RequirementNode(NodeOp Op, int Left, int Right, AttributeValue Literal, string? Name);
