// solc-js (the pinned npm `solc`, WASM): standard-JSON in on stdin, standard-JSON out on
// stdout. No compiler download: the compiler is the package itself. Imports are refused, so
// the input names every source it compiles (infra/chain/compile.py builds it).
const solc = require("solc");

// the version the caller pinned (package-lock.json): another compiler gives other bytes
const pinned = process.argv[2];
if (pinned && !solc.version().startsWith(pinned + "+")) {
  process.stderr.write(`solc ${solc.version()} is not the pinned ${pinned}: run npm ci\n`);
  process.exit(1);
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const refuse = () => ({ error: "imports are not resolved: name every source in the input" });
  process.stdout.write(solc.compile(input, { import: refuse }));
});
