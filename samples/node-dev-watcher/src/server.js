const express = require("express");
const notes = require("./notes");

const app = express();
app.use(express.json());
app.get("/notes/:id", (req, res) => {
  const n = notes.get(req.params.id);
  n ? res.json(n) : res.sendStatus(404);
});
app.post("/notes", (req, res) => res.status(201).json(notes.add(req.body)));
app.listen(process.env.PORT || 3000);
