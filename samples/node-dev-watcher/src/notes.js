const store = new Map();
let next = 1;

module.exports = {
  get: (id) => store.get(Number(id)),
  add: (body) => {
    const note = { id: next++, text: String(body.text || "") };
    store.set(note.id, note);
    return note;
  },
};
