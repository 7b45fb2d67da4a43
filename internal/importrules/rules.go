package importrules

// Module is the module path the rules are written against.
const Module = "github.com/ybuild/ybuild"

// Rule is what one package of the module may do. Paths are relative to
// Module.
type Rule struct {
	// Imports lists the module's packages it may import; nil means none.
	Imports []string
	// Any lets it import every module package but the test helpers.
	Any bool
	// Library is set for library packages: no environment, clock or
	// printing, and no test helpers.
	Library bool
	// DenyDeps are packages it must not depend on, even indirectly.
	DenyDeps []string
	// DenyImports are packages it must not import directly.
	DenyImports []string
}

// networkPackages are the packages that talk over the network.
var networkPackages = []string{
	"net", "net/http", "crypto/tls",
	"github.com/containerd/containerd/v2/core/remotes",
	"github.com/containerd/containerd/v2/core/remotes/docker",
	"oras.land/oras-go/v2/registry/remote/credentials",
}

// helpers are the test helper packages: only _test.go files import them.
var helpers = []string{"internal/e2e", "internal/registrytest", "internal/testbase", "internal/treetest", "internal/tartest"}

// Rules is the table of DEVELOPERS.md, one entry per package of the module
// (a package missing here fails the check, so that the table and the
// document stay complete). Data flows one way: cmd → output → assemble →
// resolve, spec beside; location, internal/inputerr and internal/blobfile
// are leaves anyone may use.
var Rules = map[string]Rule{
	"location":             {Library: true},
	"imageio":              {Library: true},
	"internal/inputerr":    {Library: true},
	"internal/blobfile":    {Library: true, Imports: []string{"imageio", "internal/filelock"}},
	"internal/filelock":    {Library: true},
	"internal/trust":       {Library: true, Imports: []string{"internal/blobfile", "imageio"}},
	"internal/importrules": {Library: true},
	"spec":                 {Library: true, Imports: []string{"location", "internal/inputerr"}, DenyDeps: networkPackages},
	"schema":               {Library: true},
	"cache":                {Library: true, Imports: []string{"imageio", "internal/inputerr", "internal/blobfile", "internal/filelock"}},
	"registry":             {Library: true, Imports: []string{"imageio", "internal/inputerr", "location"}},
	"resolve":              {Library: true, Imports: []string{"location", "registry", "cache", "imageio", "internal/inputerr", "internal/blobfile", "internal/trust"}},
	"assemble": {Library: true, Imports: []string{"spec", "resolve", "cache", "imageio", "location", "internal/inputerr", "internal/blobfile", "internal/trust"},
		DenyImports: []string{"net", "net/http"}},
	"output":                   {Library: true, Imports: []string{"assemble", "resolve", "registry", "imageio", "location", "internal/inputerr", "internal/blobfile", "internal/filelock", "internal/trust"}},
	"attest":                   {Library: true, Imports: []string{"assemble", "imageio"}, DenyImports: []string{"net", "net/http"}},
	"sign":                     {Library: true, Imports: []string{"assemble"}, DenyImports: []string{"net", "net/http"}},
	"remotecache":              {Library: true, Imports: []string{"assemble", "resolve", "registry", "imageio"}},
	"lock":                     {Library: true, Imports: []string{"internal/inputerr", "internal/blobfile"}, DenyDeps: networkPackages},
	"depfile":                  {Library: true, Imports: []string{"spec", "location", "internal/inputerr"}, DenyDeps: networkPackages},
	"imagediff":                {Library: true, Imports: []string{"assemble", "resolve", "imageio"}, DenyImports: []string{"net", "net/http"}},
	"cmd/ybuild":               {Any: true},
	"schema/gen":               {Imports: []string{"schema/internal/generate"}},
	"schema/internal/generate": {Imports: []string{"spec"}},
	"bench/layerbench":         {Imports: []string{"assemble", "resolve", "spec"}}, // scratch base for assemble.Build
	"bench/benchreg":           {},
	"examples/hello/app":       {},
	// Test helpers may use each other and any package; only tests use them.
	"internal/e2e":          {Any: true},
	"internal/registrytest": {Any: true},
	"internal/testbase":     {Any: true},
	"internal/treetest":     {Any: true},
	"internal/tartest":      {Any: true},
}
