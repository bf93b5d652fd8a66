// Stops a ground left up by `npm run demo -- --keep`.
import fs from "node:fs";
import { Ground, type GroundState, stopGround } from "../test/ground/ground.js";

const file = process.argv[2];
if (!file) throw new Error("usage: node dist/scripts/demo-stop.js <ground>/state.json");
const left = await stopGround(new Ground(JSON.parse(fs.readFileSync(file, "utf8")) as GroundState));
process.stdout.write(`ground stopped: ${JSON.stringify(left)}\n`);
