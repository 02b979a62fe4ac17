// Draws ```mermaid blocks as diagrams when the browser can fetch Mermaid; otherwise the
// block stays as readable Mermaid source. The site build itself never needs the network.
const MERMAID = "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";

const blocks = [...document.querySelectorAll("pre > code.language-mermaid")];
if (blocks.length > 0) {
  try {
    const { default: mermaid } = await import(MERMAID);
    const diagrams = blocks.map((code) => {
      const diagram = document.createElement("div");
      diagram.className = "mermaid";
      diagram.textContent = code.textContent;
      code.parentElement.replaceWith(diagram);
      return diagram;
    });
    mermaid.initialize({ startOnLoad: false });
    await mermaid.run({ nodes: diagrams });
  } catch (error) {
    console.info("Mermaid not available; showing diagram sources.", error);
  }
}
