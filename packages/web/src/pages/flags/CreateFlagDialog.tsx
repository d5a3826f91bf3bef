import { Button, Group, Modal, Select, Stack, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, seg } from '../../api/client';
import { useApiMutation } from '../../api/queries';
import type { Flag, FlagCreate } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';

/** A new flag: boolean (on/off) or multivariate with string variants (e.g. flavors). */
export function CreateFlagDialog({ project, onClose }: { project: string; onClose: () => void }) {
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<string>('release');
  const [kind, setKind] = useState<string>('boolean');
  const [variants, setVariants] = useState<string[]>([]);
  const [tags, setTags] = useState<string[]>([]);
  const body = (): FlagCreate => ({
    key: key.trim(),
    ...(name.trim() && { name: name.trim() }),
    ...(description.trim() && { description: description.trim() }),
    type: type as NonNullable<FlagCreate['type']>,
    variants:
      kind === 'boolean'
        ? [
            { key: 'on', value: true },
            { key: 'off', value: false },
          ]
        : variants.map((v) => ({ key: v, value: v })),
    tags,
  });
  const create = useApiMutation(() => api.post<Flag>(`/api/v1/projects/${seg(project)}/flags`, body()), {
    onSuccess: (flag) => {
      onClose();
      navigate(`/projects/${encodeURIComponent(project)}/flags/${encodeURIComponent(flag.key)}`);
    },
  });
  return (
    <Modal opened onClose={onClose} title="Create a flag">
      <Stack>
        <TextInput label="Key" required value={key} onChange={(e) => setKey(e.currentTarget.value)} description="what the code asks for, e.g. new-checkout" />
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize />
        <Select label="Type" data={['release', 'experiment', 'kill-switch', 'operational', 'permission']} value={type} onChange={(v) => setType(v ?? 'release')} allowDeselect={false} />
        <Select
          label="Variants"
          data={[
            { value: 'boolean', label: 'on / off (boolean)' },
            { value: 'strings', label: 'several string variants' },
          ]}
          value={kind}
          onChange={(v) => setKind(v ?? 'boolean')}
          allowDeselect={false}
        />
        {kind === 'strings' && <TagsInput label="Variant keys" placeholder="e.g. classic, multi-cluster; Enter after each" value={variants} onChange={setVariants} />}
        <TagsInput label="Tags" value={tags} onChange={setTags} />
        <ErrorAlert error={create.error} title="The flag was refused" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => create.mutate(undefined)} loading={create.isPending}>
            Create
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
