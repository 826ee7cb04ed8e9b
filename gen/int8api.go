package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/vecgen/vecgen/gen/plan"
)

// The Go side of the int8 kernels: their shape constants, the tier they
// dispatch to (the widest with int8 kernels this CPU can run), one
// exported function per layer, and the descriptor's closure.

// int8TierVar is the variable that selects the tier of every int8 call,
// and int8CanRunFunc the function that says which tiers can run them.
func int8TierVar(p *plan.Plan) string    { return p.Lower + "Int8Tier" }
func int8CanRunFunc(p *plan.Plan) string { return p.Lower + "CanRunInt8" }

// int8Consts are the lengths of each layer's packed int8 weights.
func int8Consts(p *plan.Plan) []jen.Code {
	var defs []jen.Code
	for i := range p.Int8 {
		k := &p.Int8[i]
		defs = append(defs,
			jen.Commentf("%s is the length of layer %d's int8 weights in the packed layout", p.Int8Packed(k.Layer), k.Layer),
			jen.Commentf("(scalar.PackInt8Weights): %d inputs by %d outputs.", k.Depth(), k.Width()),
			jen.Id(p.Int8Packed(k.Layer)).Op("=").Lit(k.Packed()),
		)
	}
	return defs
}

// emitInt8 renders the int8 tier's choice and each layer's int8 kernel.
func emitInt8(f *jen.File, p *plan.Plan) {
	if len(p.Int8) == 0 {
		return
	}
	var tiers []jen.Code
	for _, isa := range plan.Int8Tiers() {
		tiers = append(tiers, jen.Qual(compiledPath, tierConst[isa.Name]))
	}
	cases := []jen.Code{jen.Case(tiers...).Block(
		jen.Return(jen.Id(canRunVar(p)).Call(jen.Id("t")).Op("&&").Qual(compiledPath, "CPUHasInt8").Call(jen.Id("t"))))}
	f.Line()
	f.Commentf("%s reports whether the int8 kernels of tier t can run: the tiers", int8CanRunFunc(p))
	f.Comment("that have them, where the CPU has their instructions, and the reference.")
	f.Func().Id(int8CanRunFunc(p)).Params(jen.Id("t").Qual(compiledPath, "Tier")).Bool().Block(
		jen.Switch(jen.Id("t")).Block(cases...),
		jen.Return(jen.Id("t").Op("==").Qual(compiledPath, "Reference")),
	)
	f.Line()
	f.Commentf("%s is the tier every %s int8 kernel runs on. GODEBUG=cpu.avx512vnni=off", int8TierVar(p), p.Prefix)
	f.Comment("selects the reference on x86.")
	f.Var().Id(int8TierVar(p)).Op("=").Qual(compiledPath, "Widest").Call(jen.Id(int8CanRunFunc(p)))
	for i := range p.Int8 {
		k := &p.Int8[i]
		f.Line()
		for _, line := range int8Doc(p, k) {
			f.Comment(line)
		}
		in, out := jen.Id(p.In(k.Layer)), jen.Id(p.Out(k.Layer))
		var cases []jen.Code
		for _, m := range k.Impls {
			args := []jen.Code{jen.Id("rows"), jen.Op("&").Id("x").Index(jen.Lit(0)), jen.Id("qw"), jen.Id("scale"), jen.Id("colsum"), jen.Id("b"), jen.Op("&").Id("y").Index(jen.Lit(0))}
			var body []jen.Code
			if m.Scratch > 0 { // a tier without frames takes its buffer from here
				body = append(body, jen.Var().Id("scratch").Index(jen.Lit(m.Scratch)).Byte())
				args = append(args, jen.Op("&").Id("scratch"))
			}
			body = append(body, jen.Id(m.Asm).Call(args...))
			cases = append(cases, jen.Case(jen.Qual(compiledPath, tierConst[m.ISA.Name])).Block(body...))
		}
		cases = append(cases, jen.Default().Block(
			jen.Var().Id("qx").Index(jen.Lit(k.Depth())).Uint8(),
			jen.Var().Id("acc").Index(jen.Lit(k.Width())).Int32(),
			jen.Qual(scalarPath, "DenseInt8Packed").Call(jen.Id("x"), slice("qw"), slice("scale"), slice("colsum"), slice("b"), jen.Id("y"),
				slice("qx"), slice("acc"), jen.Id("rows"), in, out, jen.Qual(scalarPath, plan.Activations[k.Activation].Scalar)),
		))
		f.Func().Id(k.Public).Params(int8Params(p, k)...).Block(
			jen.Id("rows").Op(":=").Len(jen.Id("x")).Op("/").Add(in),
			jen.If(jen.Len(jen.Id("x")).Op("!=").Id("rows").Op("*").Add(in).Op("||").Len(jen.Id("y")).Op("<").Id("rows").Op("*").Add(out)).Block(
				jen.Panic(jen.Lit(fmt.Sprintf("vecgen: %s takes whole rows of %d inputs in x and room for as many rows of %d outputs in y", k.Public, k.In, k.Out)))),
			jen.If(jen.Id("rows").Op("==").Lit(0)).Block(jen.Return()),
			jen.Switch(jen.Id(int8TierVar(p))).Block(cases...),
		)
	}
}

// int8Params are the parameters of layer k's exported int8 kernel.
func int8Params(p *plan.Plan, k *plan.Int8Kernel) []jen.Code {
	out := jen.Index(jen.Id(p.Out(k.Layer)))
	return []jen.Code{
		jen.Id("x").Index().Float32(),
		jen.Id("qw").Op("*").Index(jen.Id(p.Int8Packed(k.Layer))).Int8(),
		jen.Id("scale").Op("*").Add(out).Float32(),
		jen.Id("colsum").Op("*").Add(out).Int32(),
		jen.Id("b").Op("*").Add(out).Float32(),
		jen.Id("y").Index().Float32(),
	}
}

// int8Doc is the doc comment of layer k's exported int8 kernel.
func int8Doc(p *plan.Plan, k *plan.Int8Kernel) []string {
	return []string{
		fmt.Sprintf("%s is layer %d's int8 forward pass over rows = len(x)/%s rows,", k.Public, k.Layer, p.In(k.Layer)),
		"each quantized to uint8 with its own scale sx and zero point zx (scalar.QuantizeRow):",
		"",
		fmt.Sprintf("\ty[i,j] = %s(float32(Σₖ qx[i,k]·qw[k,j] − zx[i]·colsum[j])·(sx[i]·scale[j]) + b[j])", k.Activation),
		"",
		"with the sums in int32 and qw in the packed layout of scalar.PackInt8Weights",
		"(scalar.DenseInt8Packed is the reference). y must have room for rows×" + p.Out(k.Layer) + " values.",
	}
}

// int8Adapter is the descriptor's closure of layer k's int8 kernel.
func int8Adapter(p *plan.Plan, k *plan.Int8Kernel) jen.Code {
	out := jen.Index(jen.Id(p.Out(k.Layer)))
	view := func(name string, typ jen.Code) jen.Code { return jen.Parens(typ).Call(jen.Id(name)) }
	return jen.Func().Params(jen.Id("x").Index().Float32(), jen.Id("qw").Index().Int8(), jen.Id("scale").Index().Float32(),
		jen.Id("colsum").Index().Int32(), jen.Id("b"), jen.Id("y").Index().Float32()).Block(
		jen.Id(k.Public).Call(jen.Id("x"),
			view("qw", jen.Op("*").Index(jen.Id(p.Int8Packed(k.Layer))).Int8()),
			view("scale", jen.Op("*").Add(out).Float32()),
			view("colsum", jen.Op("*").Add(out).Int32()),
			view("b", jen.Op("*").Add(out).Float32()),
			jen.Id("y")))
}

// absentInt8Kernels renders a body that panics for each int8 kernel of
// the tiers absent selects (see absentKernels).
func absentInt8Kernels(f *jen.File, p *plan.Plan, absent func(plan.ISA) bool, where string) {
	for i := range p.Int8 {
		k := &p.Int8[i]
		for _, m := range k.Impls {
			if !absent(m.ISA) {
				continue
			}
			f.Line()
			f.Func().Id(m.Asm).Params(int8AsmParams(p, k, &m)...).Block(
				jen.Panic(jen.Lit("vecgen: " + m.Asm + " called " + where)),
			)
		}
	}
}

// int8AsmParams are the parameters of an int8 kernel's assembly on one
// tier: the rows, pointers to the first element of x and y, and the
// buffer of a tier without frames.
func int8AsmParams(p *plan.Plan, k *plan.Int8Kernel, m *plan.Int8Impl) []jen.Code {
	params := []jen.Code{jen.Id("rows").Int(), jen.Id("x").Op("*").Float32()}
	params = append(params, int8Params(p, k)[1:5]...) // qw, scale, colsum, b
	params = append(params, jen.Id("y").Op("*").Float32())
	if m.Scratch > 0 {
		params = append(params, jen.Id("scratch").Op("*").Index(jen.Lit(m.Scratch)).Byte())
	}
	return params
}
