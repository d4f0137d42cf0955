import { render } from "preact";
import { Orders } from "./orders";

render(<Orders />, document.getElementById("app")!);
